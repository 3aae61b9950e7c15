import pytest
from django.core.exceptions import ValidationError

from courses.models import ContentBlock, KnowledgePointPrerequisite, Lesson
from courses.services import authoring
from lms.models import Role
from tests.factories import KnowledgePointFactory, LessonFactory


def test_course_code_is_unique_per_school_whatever_the_case(course_world):
    with pytest.raises(ValidationError, match="already exists"):
        authoring.course_create(
            school=course_world["a"]["school"],
            code="math-1",
            title="Again",
            subject="Maths",
            level="senior",
        )
    # another school may use the same code
    other = authoring.course_create(
        school=course_world["b"]["school"], code="math-2", title="B", subject="M", level="senior"
    )
    assert other.pk


def test_course_cannot_end_before_it_starts(course_world):
    import datetime

    with pytest.raises(ValidationError, match="cannot end before"):
        authoring.course_create(
            school=course_world["a"]["school"],
            code="X",
            title="X",
            subject="S",
            level="senior",
            starts_on=datetime.date(2026, 9, 1),
            ends_on=datetime.date(2026, 8, 1),
        )


def test_only_teachers_of_the_school_can_teach_a_course(course_world):
    with pytest.raises(ValidationError, match="Not a teacher"):
        authoring.course_create(
            school=course_world["a"]["school"],
            code="X",
            title="X",
            subject="S",
            level="senior",
            teachers=[course_world["b"][Role.TEACHER]],
        )


def test_tags_are_per_school_and_case_insensitive(course_world):
    course = authoring.course_create(
        school=course_world["a"]["school"],
        code="ML",
        title="ML",
        subject="CS",
        level="university",
        tags=["Machine learning", "machine LEARNING", " python "],
    )
    assert sorted(t.name for t in course.tags.all()) == ["Machine learning", "python"]


def test_new_modules_and_lessons_go_last(course_world):
    module = authoring.module_create(course=course_world["course"], title="Third")
    assert module.position == 2
    lesson = authoring.lesson_create(module=module, title="First of third")
    assert lesson.position == 0


def test_reorder_needs_every_item_once(course_world):
    course = course_world["course"]
    first, second = course_world["modules"]
    authoring.reorder(items=course.modules.all(), order=[second.pk, first.pk])
    assert list(course.modules.order_by("position")) == [second, first]
    for bad in ([first.pk], [first.pk, first.pk], [first.pk, second.pk, 999]):
        with pytest.raises(ValidationError):
            authoring.reorder(items=course.modules.all(), order=bad)
    assert list(course.modules.order_by("position")) == [second, first]


def test_lesson_duplicate_copies_blocks_and_tags_right_after_it(course_world):
    lesson = course_world["lessons"][0]
    kp = KnowledgePointFactory(course=course_world["course"])
    lesson.knowledge_points.add(kp)
    authoring.block_create(lesson=lesson, kind="text", body="# Hi")
    copy = authoring.lesson_duplicate(lesson=lesson)
    assert copy.position == lesson.position + 1
    assert list(copy.knowledge_points.all()) == [kp]
    assert [b.body for b in copy.blocks.all()] == ["# Hi"]
    positions = list(lesson.module.lessons.order_by("position").values_list("pk", flat=True))
    assert positions == [lesson.pk, copy.pk, course_world["lessons"][1].pk]


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("text", {"body": "  "}, "needs some text"),
        ("code", {}, "needs some code"),
        ("video", {}, "uploaded video or a video URL"),
        ("image", {}, "needs an image"),
        ("file", {}, "needs a file"),
        ("video", {"url": "javascript:alert(1)"}, "valid URL"),
    ],
)
def test_incomplete_blocks_are_refused(course_world, kind, fields, message):
    with pytest.raises(ValidationError, match=message):
        authoring.block_create(lesson=course_world["lessons"][0], kind=kind, **fields)
    assert not ContentBlock.objects.exists()


def test_knowledge_point_cycle_is_refused_naming_it(course_world):
    course = course_world["course"]
    a, b, c = (authoring.knowledge_point_create(course=course, name=n) for n in "ABC")
    authoring.knowledge_point_add_prerequisite(knowledge_point=b, prerequisite=a)
    authoring.knowledge_point_add_prerequisite(knowledge_point=c, prerequisite=b)
    with pytest.raises(ValidationError, match="cycle: A → C → B → A"):
        authoring.knowledge_point_add_prerequisite(knowledge_point=a, prerequisite=c)
    with pytest.raises(ValidationError, match="cannot require itself"):
        authoring.knowledge_point_add_prerequisite(knowledge_point=a, prerequisite=a)
    assert KnowledgePointPrerequisite.objects.count() == 2


def test_knowledge_point_prerequisite_across_courses_of_one_school(course_world):
    kp = KnowledgePointFactory(course=course_world["course"])
    elsewhere = KnowledgePointFactory(course__school=course_world["a"]["school"])
    authoring.knowledge_point_add_prerequisite(knowledge_point=kp, prerequisite=elsewhere)
    foreign = KnowledgePointFactory(course=course_world["other_course"])
    with pytest.raises(ValidationError, match="same school"):
        authoring.knowledge_point_add_prerequisite(knowledge_point=kp, prerequisite=foreign)


def test_lesson_prerequisite_cycle_is_refused(course_world):
    l1, l2, l3, _ = course_world["lessons"]
    authoring.lesson_set_prerequisites(lesson=l2, prerequisites=[l1])
    authoring.lesson_set_prerequisites(lesson=l3, prerequisites=[l2])
    with pytest.raises(ValidationError, match="cycle"):
        authoring.lesson_set_prerequisites(lesson=l1, prerequisites=[l3])
    assert not l1.prerequisites.exists()


def test_lesson_prerequisite_must_be_in_the_same_course(course_world):
    foreign = LessonFactory(module__course=course_world["other_course"])
    with pytest.raises(ValidationError, match="another course"):
        authoring.lesson_set_prerequisites(
            lesson=course_world["lessons"][0], prerequisites=[foreign]
        )


def test_lesson_knowledge_points_must_belong_to_its_course(course_world):
    foreign = KnowledgePointFactory(course=course_world["other_course"])
    with pytest.raises(ValidationError, match="Not a knowledge point of this course"):
        authoring.lesson_set_knowledge_points(
            lesson=course_world["lessons"][0], knowledge_points=[foreign]
        )
    assert not Lesson.knowledge_points.through.objects.exists()


def test_text_is_rendered_and_sanitized_when_written(course_world):
    lesson = course_world["lessons"][0]
    block = authoring.block_create(lesson=lesson, kind="text", body="**Hi** <script>x</script>")
    assert "<strong>Hi</strong>" in block.body_html
    assert "<script" not in block.body_html
    authoring.block_update(block=block, body="$x^2$")
    block.refresh_from_db()
    assert "<math" in block.body_html
    code = authoring.block_create(lesson=lesson, kind="code", body="print('<b>')")
    assert 'class="codehilite"' in code.body_html
    assert "&lt;b&gt;" in code.body_html
    course = authoring.course_update(course=course_world["course"], description="*new*")
    assert course.description_html == "<p><em>new</em></p>"


def test_module_duplicate_copies_lessons_blocks_tags_and_inner_gates(course_world):
    module = course_world["modules"][0]
    first, second = course_world["lessons"][:2]
    kp = KnowledgePointFactory(course=course_world["course"])
    first.knowledge_points.add(kp)
    authoring.block_create(lesson=first, kind="text", body="*hello*")
    authoring.lesson_set_prerequisites(lesson=second, prerequisites=[first])
    copy = authoring.module_duplicate(module=module)
    assert copy.position == module.position + 1
    assert list(course_world["course"].modules.order_by("position")) == [
        module,
        copy,
        course_world["modules"][1],
    ]
    new_first, new_second = copy.lessons.order_by("position")
    assert list(new_first.knowledge_points.all()) == [kp]
    assert new_first.blocks.get().body_html == "<p><em>hello</em></p>"
    assert list(new_second.prerequisites.all()) == [new_first]


def test_course_duplicate_copies_everything_but_the_students(course_world):
    course = course_world["course"]
    first, second = course_world["lessons"][:2]
    a = authoring.knowledge_point_create(course=course, name="Counting")
    b = authoring.knowledge_point_create(course=course, name="Adding")
    authoring.knowledge_point_add_prerequisite(knowledge_point=b, prerequisite=a)
    authoring.lesson_set_knowledge_points(lesson=first, knowledge_points=[a])
    authoring.lesson_set_prerequisites(lesson=second, prerequisites=[first])
    authoring.block_create(lesson=first, kind="text", body="$1+1$")
    copy = authoring.course_duplicate(course=course, code="MATH-1B", title="Algebra again")
    assert not copy.is_published
    assert list(copy.teachers.all()) == list(course.teachers.all())
    assert copy.enrollments.count() == 0
    assert copy.modules.count() == 2
    new_first, new_second = copy.modules.order_by("position")[0].lessons.order_by("position")
    new_a = copy.knowledge_points.get(name="Counting")
    assert list(new_first.knowledge_points.all()) == [new_a]
    assert list(copy.knowledge_points.get(name="Adding").prerequisites.all()) == [new_a]
    assert list(new_second.prerequisites.all()) == [new_first]
    assert "<math" in new_first.blocks.get().body_html
    # the original is untouched
    assert list(first.knowledge_points.all()) == [a]


def test_course_copy_needs_a_free_code(course_world):
    with pytest.raises(ValidationError, match="already exists"):
        authoring.course_duplicate(course=course_world["course"], code="math-1", title="Again")
