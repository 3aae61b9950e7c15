"""Regressions found in review: each would have been a 500, a leak or a bypass."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from courses.models import ContentBlock, ImportJob, Lesson, Program, ProgramCourse
from courses.services import authoring
from courses.services.imports import import_files_sweep
from courses.services.programs import program_set_published
from courses.services.progress import lesson_complete, lesson_progress_record
from lms.models import Membership, Role
from tests.factories import CourseFactory, LessonFactory, ModuleFactory


def test_a_classmates_completion_does_not_unlock_my_lesson(course_world):
    from django.core.exceptions import ValidationError

    first, second, *_ = course_world["lessons"]
    authoring.lesson_set_prerequisites(lesson=second, prerequisites=[first])
    me = course_world["a"][Role.STUDENT]
    classmate = course_world["a"]["classmate"]
    course_world["course"].enrollments.create(student=classmate, source="admin")
    lesson_progress_record(student=me, lesson=first, seconds_spent=10)  # opened, not completed
    lesson_complete(student=classmate, lesson=first)
    with pytest.raises(ValidationError, match="first"):
        lesson_complete(student=me, lesson=second)


def test_reordering_an_empty_set_is_fine(as_person, course_world):
    module = ModuleFactory(course=course_world["course"])
    response = as_person("course_teacher").put(
        f"/api/v1/courses/modules/{module.pk}/lessons/order/",
        {"order": []},
        content_type="application/json",
    )
    assert response.status_code == 204


def test_clearing_a_blocks_file_is_refused_cleanly(as_person, course_world):
    lesson = course_world["lessons"][0]
    video = SimpleUploadedFile("clip.mp4", b"\x00\x00\x00\x18ftypmp42", content_type="video/mp4")
    block = authoring.block_create(lesson=lesson, kind="video", file=video)
    response = as_person("course_teacher").post(
        reverse("courses:block_edit", args=[block.pk]),
        {"block-title": "", "block-file-clear": "on"},
    )
    assert response.status_code == 200
    assert "uploaded video or a video URL" in response.content.decode()
    block.refresh_from_db()
    assert block.file


def test_lesson_edit_with_a_cycle_saves_nothing(as_person, course_world):
    first, second, *_ = course_world["lessons"]
    authoring.lesson_set_prerequisites(lesson=second, prerequisites=[first])
    response = as_person("course_teacher").post(
        reverse("courses:lesson_edit", args=[first.pk]),
        {
            "lesson-title": "Renamed",
            "lesson-estimated_minutes": 5,
            "tags-prerequisites": [second.pk],
        },
    )
    assert response.status_code == 400
    first.refresh_from_db()
    assert first.title != "Renamed"


def test_api_lesson_with_a_foreign_prerequisite_is_not_created_and_names_nothing(
    as_person, course_world
):
    foreign = LessonFactory(module__course=course_world["other_course"], title="SECRET B LESSON")
    module = course_world["modules"][0]
    before = Lesson.objects.count()
    response = as_person("course_teacher").post(
        f"/api/v1/courses/modules/{module.pk}/lessons/",
        {"title": "New", "prerequisites": [foreign.pk]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "SECRET" not in response.content.decode()
    assert Lesson.objects.count() == before


@pytest.mark.parametrize(
    "url", ["/courses/?q=%00", "/courses/?subject=a%00b", "/school/people/?q=%00"]
)
def test_nul_in_the_query_string_is_a_400(as_person, url):
    assert as_person("school_admin").get(url).status_code == 400


def test_nul_in_a_form_field_is_a_400(as_person, course_world):
    response = as_person("course_teacher").post(
        reverse("courses:module_create", args=[course_world["course"].pk]), {"title": "a\x00b"}
    )
    assert response.status_code == 400


def test_duplicating_a_lesson_with_a_long_title(course_world):
    lesson = course_world["lessons"][0]
    authoring.lesson_update(lesson=lesson, title="x" * 200, estimated_minutes=5)
    copy = authoring.lesson_duplicate(lesson=lesson)
    assert len(copy.title) <= 200
    assert copy.title.endswith("(copy)")


def test_huge_ids_are_a_400(as_person, course_world):
    response = as_person("school_admin").patch(
        f"/api/v1/courses/lessons/{course_world['lessons'][0].pk}/manage/",
        {"knowledge_points": [2**70]},
        content_type="application/json",
    )
    assert response.status_code == 400


def test_admin_cannot_change_the_email_of_an_account_that_belongs_elsewhere(
    as_person, course_world
):
    a, b = course_world["a"], course_world["b"]
    shared = b[Role.ADMIN]
    Membership.objects.create(user=shared, school=a["school"], role=Role.TEACHER)
    response = as_person("school_admin").post(
        reverse("school_person", args=[shared.pk]),
        {"display_name": "x", "email": "attacker@evil.test", "roles": ["teacher"]},
    )
    assert response.status_code == 400
    shared.refresh_from_db()
    assert shared.email != "attacker@evil.test"
    # an account of this school alone can be changed
    own = a[Role.STUDENT]
    as_person("school_admin").post(
        reverse("school_person", args=[own.pk]),
        {"display_name": "S", "email": "new@example.org", "roles": ["student"]},
    )
    own.refresh_from_db()
    assert own.email == "new@example.org"


def test_an_image_block_needs_a_real_image(as_person, course_world):
    lesson = course_world["lessons"][0]
    fake = SimpleUploadedFile(
        "evil.png", b"<html><script>alert(1)</script></html>", content_type="image/png"
    )
    response = as_person("course_teacher").post(
        f"/api/v1/courses/lessons/{lesson.pk}/blocks/",
        {"kind": "image", "file": fake, "alt_text": "x"},
    )
    assert response.status_code == 400
    assert not ContentBlock.objects.exists()


def test_a_text_block_takes_no_file(as_person, course_world):
    lesson = course_world["lessons"][0]
    upload = SimpleUploadedFile("notes.pdf", b"%PDF-1.4")
    response = as_person("course_teacher").post(
        f"/api/v1/courses/lessons/{lesson.pk}/blocks/",
        {"kind": "text", "body": "hi", "file": upload},
    )
    assert response.status_code == 400
    assert not ContentBlock.objects.exists()


def test_a_program_with_a_draft_course_cannot_be_published(course_world):
    from django.core.exceptions import ValidationError

    school = course_world["a"]["school"]
    draft = CourseFactory(school=school, code="DRAFT-1", is_published=False)
    program = Program.objects.create(school=school, title="P", audience="engineers", level="senior")
    ProgramCourse.objects.create(program=program, course=draft, position=0)
    with pytest.raises(ValidationError, match="DRAFT-1"):
        program_set_published(program=program, published=True)


def test_old_import_files_are_swept(course_world):
    job = ImportJob.objects.create(
        school=course_world["a"]["school"],
        filename="old.csv",
        file=SimpleUploadedFile("old.csv", b"username,role\nx,student\n"),
    )
    assert import_files_sweep() == 0
    later = timezone.now() + datetime.timedelta(days=2)
    assert import_files_sweep(now=later) == 1
    job.refresh_from_db()
    assert not job.file
