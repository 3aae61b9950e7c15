"""
Data for `python -m bench pages`, created through the project's services in the bench database.

Run by the bench as `python -m bench._seed` with DJANGO_SETTINGS_MODULE=bench._settings and
DATABASE_URL pointing at the throw-away bench database. Prints one line `BENCH_SEED {json}`:
the ids of what to measure, the signed-in student's cookies, and the SQL queries and in-process
time of each page (Django's test client, no server), which say where the time goes.
"""

import itertools
import json
import statistics
import time

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from courses.models import BlockKind, Level  # noqa: E402
from courses.services import authoring, enrollment, progress  # noqa: E402
from lms import services  # noqa: E402
from lms.models import Role  # noqa: E402

STUDENTS = 200
MODULES = 6
LESSONS_PER_MODULE = 5
BLOCKS_PER_LESSON = 3
OTHER_COURSES = 10
COMPLETED_BY_BENCH_STUDENT = LESSONS_PER_MODULE  # the whole first module

SUBJECTS = ["Mathematics", "Physics", "Chemistry", "Biology", "Computer science"]
TOPICS = [
    ("Linear equations", r"$$ax + b = 0 \quad\Rightarrow\quad x = -\frac{b}{a}$$"),
    ("Quadratic equations", r"$$x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}$$"),
    ("Functions", r"$$f(x) = \sum_{k=0}^{n} a_k x^k$$"),
    ("Limits", r"$$\lim_{x \to 0} \frac{\sin x}{x} = 1$$"),
    ("Derivatives", r"$$f'(x) = \lim_{h \to 0} \frac{f(x+h) - f(x)}{h}$$"),
    ("Integrals", r"$$\int_a^b f(x)\,dx = F(b) - F(a)$$"),
]


def _block_body(lesson_title: str, part: int, formula: str) -> str:
    """A few paragraphs of Markdown with inline and display LaTeX, a list and emphasis."""
    return f"""## {lesson_title}: part {part}

In this part we look at **{lesson_title.lower()}** from a new angle. Read the definition first,
then try the worked example on your own before you read the solution. Remember that
$a \\neq 0$ whenever we divide by $a$, and that every step must keep both sides equal.

{formula}

The formula above is the one to remember. Notice how each symbol has a meaning:

- the *coefficients* $a$ and $b$ are known numbers;
- the *unknown* $x$ is what we solve for;
- a check by substitution, $a \\cdot x + b$, must give $0$.

A worked example: for $3x + 6 = 0$ we subtract $6$ from both sides and divide by $3$, so
$x = -2$. Substituting back gives $3 \\cdot (-2) + 6 = 0$, as expected. Try $5x - 15 = 0$
and $\\frac{1}{2}x + 4 = 0$ yourself, then compare with a classmate.

> Tip: write every step on its own line. Most mistakes come from doing two steps at once.
"""


def _person(username: str, display_name: str = "", *, school, role: str):
    """A member of `school`; no password: benches sign in by session or API token."""
    user = services.user_create(username=username, display_name=display_name or username.title())
    services.membership_grant(user=user, school=school, role=role)
    return user


@transaction.atomic
def _seed() -> dict:
    school = services.school_create(name="Bench School", slug="bench")
    teachers = [
        _person(f"bench-teacher{i}", f"Teacher {i}", school=school, role=Role.TEACHER)
        for i in (1, 2)
    ]
    students = [
        _person(f"bench-student{i:03d}", f"Student {i}", school=school, role=Role.STUDENT)
        for i in range(1, STUDENTS + 1)
    ]
    classroom = services.classroom_create(
        school=school, name="Grade 10 · Class 1", homeroom_teachers=teachers[:1]
    )
    services.classroom_add_students(classroom=classroom, students=students)

    course = authoring.course_create(
        school=school,
        code="MATH-101",
        title="Algebra and calculus foundations",
        subject="Mathematics",
        level=Level.SENIOR,
        description="From **linear equations** to integrals, one small lesson at a time: $x^2$.",
        teachers=teachers,
        tags=["algebra", "calculus", "exam preparation"],
        is_published=True,
    )
    points = [
        authoring.knowledge_point_create(course=course, name=f"{topic} · skill {k}")
        for topic, _formula in TOPICS
        for k in (1, 2)
    ]
    for earlier, later in itertools.pairwise(points):
        authoring.knowledge_point_add_prerequisite(knowledge_point=later, prerequisite=earlier)
    lessons = []
    for m, (topic, formula) in enumerate(TOPICS[:MODULES]):
        module = authoring.module_create(course=course, title=f"{m + 1}. {topic}")
        for n in range(LESSONS_PER_MODULE):
            title = f"{topic} {m + 1}.{n + 1}"
            lesson = authoring.lesson_create(
                module=module,
                title=title,
                estimated_minutes=10 + 5 * n,
                knowledge_points=points[2 * m : 2 * m + 2][: 1 + n % 2],
            )
            for part in range(1, BLOCKS_PER_LESSON + 1):
                authoring.block_create(
                    lesson=lesson,
                    kind=BlockKind.TEXT,
                    title=f"Part {part}",
                    body=_block_body(title, part, formula),
                )
            lessons.append(lesson)
    # Each module opens once the previous one is finished; two lessons inside modules are gated.
    for m in range(1, MODULES):
        first = lessons[m * LESSONS_PER_MODULE]
        authoring.lesson_set_prerequisites(
            lesson=first, prerequisites=[lessons[m * LESSONS_PER_MODULE - 1]]
        )
    for m in (1, 3):
        third = lessons[m * LESSONS_PER_MODULE + 2]
        authoring.lesson_set_prerequisites(
            lesson=third, prerequisites=[lessons[m * LESSONS_PER_MODULE]]
        )
    enrollment.classroom_enroll(classroom=classroom, course=course)

    others = []
    for i in range(OTHER_COURSES):
        other = authoring.course_create(
            school=school,
            code=f"C-{200 + i}",
            title=f"{SUBJECTS[i % len(SUBJECTS)]} topic {i + 1}",
            subject=SUBJECTS[i % len(SUBJECTS)],
            level=[Level.JUNIOR, Level.SENIOR, Level.UNIVERSITY][i % 3],
            description=f"An introduction to topic {i + 1}, with $E = mc^2$ and friends.",
            teachers=teachers[i % 2 : i % 2 + 1],
            tags=["science", f"topic-{i % 4}"],
            is_published=True,
        )
        for m in range(2):
            module = authoring.module_create(course=other, title=f"Module {m + 1}")
            for n in range(3):
                lesson = authoring.lesson_create(module=module, title=f"Lesson {m + 1}.{n + 1}")
                authoring.block_create(
                    lesson=lesson,
                    kind=BlockKind.TEXT,
                    body=_block_body(lesson.title, 1, TOPICS[0][1]),
                )
        others.append(other)
    authoring.course_create(  # a draft: not in the catalog
        school=school, code="DRAFT-1", title="Draft course", subject="Mathematics", level="senior"
    )

    student = students[0]
    for other in others[:3]:
        enrollment.enrollment_self_enroll(student=student, course=other)
    for lesson in lessons[:COMPLETED_BY_BENCH_STUDENT]:
        progress.lesson_complete(student=student, lesson=lesson)
    # Classmates at every stage of the first module.
    for i, classmate in enumerate(students[1:], start=1):
        for lesson in lessons[: i % (LESSONS_PER_MODULE + 2)]:
            progress.lesson_complete(student=classmate, lesson=lesson)

    return {
        "student": student,
        "course_id": course.pk,
        # The first lesson the student has not done: unlocked by the finished first module.
        "lesson_id": lessons[COMPLETED_BY_BENCH_STUDENT].pk,
        "published_courses": 1 + len(others),
        "lessons": len(lessons),
    }


def _counted(call) -> tuple[object, list[dict]]:
    """(result, the SQL statements of one call: their start, tables joined and milliseconds)."""
    statements = []

    def count(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append(
                {
                    "sql": " ".join(sql.split())[:90],
                    "joins": sql.count(" JOIN "),
                    "ms": round(1000 * (time.perf_counter() - started), 2),
                }
            )

    # A wrapper, not the query log: Django clears the log when a request starts.
    with connection.execute_wrapper(count):
        result = call()
    return result, statements


def _profile(client: Client, urls: dict[str, str], repeat: int = 20) -> dict:
    """SQL queries per page and median in-process time through Django's test client."""
    found = {}
    for name, url in urls.items():
        client.get(url)  # templates compiled, caches warm
        response, queries = _counted(lambda url=url: client.get(url))
        assert response.status_code == 200, (url, response.status_code)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        found[name] = {
            "sql_queries": len(queries),
            "test_client_median_ms": round(statistics.median(times), 2),
            "html_bytes": len(response.content),
        }
    return found


def main() -> None:
    seeded = _seed()
    student = seeded.pop("student")
    client = Client()
    client.force_login(student)
    urls = {
        "baseline": f"/bench/baseline/?user={student.pk}",
        "catalog": "/courses/",
        "course_page": f"/courses/{seeded['course_id']}/",
        "lesson_page": f"/courses/lessons/{seeded['lesson_id']}/",
    }
    profile = _profile(client, urls)  # the pages set the csrftoken cookie a browser would keep
    cookies = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.CSRF_COOKIE_NAME: client.cookies[settings.CSRF_COOKIE_NAME].value,
    }
    found = {**seeded, "student_id": student.pk, "urls": urls, "cookies": cookies}
    print("BENCH_SEED " + json.dumps({**found, "profile": profile}))


if __name__ == "__main__":
    main()
