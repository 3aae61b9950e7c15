"""Courses in Chromium: a teacher builds and publishes, a student learns, an admin imports."""

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from courses.models import Course
from courses.services.authoring import block_create

pytestmark = pytest.mark.e2e

PASSWORD = "pathwise-demo"


@pytest.fixture
def demo(live_asgi_server):
    call_command("seed_demo", force=True, stdout=io.StringIO())
    return live_asgi_server


def log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_teacher_builds_a_course_and_a_student_takes_it(demo, browser: Browser):
    teacher = browser.new_context().new_page()
    log_in(teacher, demo, "teacher2")
    # a new course
    teacher.get_by_role("link", name="Teaching").click()
    teacher.get_by_role("link", name="New course").click()
    teacher.get_by_label("Code").fill("PHY-1")
    teacher.get_by_label("Title").fill("Vectors in physics")
    teacher.get_by_label("Subject").fill("Physics")
    teacher.get_by_label("Level").select_option("senior")
    teacher.get_by_role("button", name="Create course").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Vectors in physics")
    # a module with two lessons
    teacher.get_by_label("New module").fill("Vectors")
    teacher.get_by_role("button", name="Add module").click()
    teacher.get_by_label("New lesson").fill("Adding vectors")
    teacher.get_by_role("button", name="Add lesson").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Adding vectors")
    teacher.get_by_label("Kind").select_option("text")
    teacher.get_by_label("Body").fill("Add componentwise: $\\vec a + \\vec b$.")
    teacher.get_by_role("button", name="Add block").click()
    expect(teacher.locator(".editor-blocks math")).to_have_count(1)
    teacher.get_by_role("link", name="Vectors in physics").click()
    teacher.get_by_label("New lesson").fill("Scaling vectors")
    teacher.get_by_role("button", name="Add lesson").click()
    # a knowledge point, taught by the first lesson
    teacher.get_by_role("link", name="Vectors in physics").click()
    teacher.get_by_role("link", name="Knowledge points").click()
    teacher.get_by_label("Name").fill("Vector addition")
    teacher.get_by_role("button", name="Add", exact=True).click()
    expect(teacher.get_by_role("cell", name="Vector addition")).to_be_visible()
    teacher.get_by_role("link", name="Contents and settings").click()
    teacher.get_by_role("link", name="Adding vectors").click()
    teacher.get_by_label("Vector addition").check()
    teacher.get_by_role("button", name="Save lesson").click()
    expect(teacher.get_by_text("Lesson saved.")).to_be_visible()
    # published
    teacher.get_by_role("link", name="Vectors in physics").click()
    teacher.get_by_role("button", name="Publish").click()
    expect(teacher.get_by_text("Course published.")).to_be_visible()

    # a student finds it in the catalog, enrolls and completes a lesson
    student = browser.new_context().new_page()
    log_in(student, demo, "student07")
    student.get_by_role("link", name="Courses", exact=True).click()
    student.get_by_label("Search").fill("vectors")
    expect(
        student.locator("#catalog-results").get_by_role("link", name="Vectors in physics")
    ).to_be_visible()
    student.locator("#catalog-results").get_by_role("link", name="Vectors in physics").click()
    student.get_by_role("button", name="Enroll in this course").click()
    expect(student.get_by_text("You are enrolled in Vectors in physics.")).to_be_visible()
    student.get_by_role("link", name="Start: Adding vectors").click()
    expect(student.locator("article.lesson math")).to_have_count(1)
    student.get_by_role("button", name="Mark as complete").click()
    expect(student.get_by_role("heading", level=1)).to_have_text("Scaling vectors")
    student.get_by_role("link", name="Vectors in physics").click()
    expect(student.get_by_text("1 of 2 lessons")).to_be_visible()
    expect(student.get_by_role("link", name="Continue: Scaling vectors")).to_be_visible()
    student.goto(f"{demo}/")
    expect(student.get_by_role("link", name="Vectors in physics")).to_be_visible()


def test_admin_imports_students_who_then_see_their_course(demo, browser: Browser, tmp_path):
    csv_file = tmp_path / "new-students.csv"
    rows = [
        "username,name,email,role,classroom,courses,password",
        "li.lei,李雷,li.lei@example.org,student,Grade 10 · Class 2,ML-101,first-day-2026",
        "han.mm,韩梅梅,han.mm@example.org,学生,Grade 10 · Class 2,ML-101;CHN-7,first-day-2026",
    ]
    csv_file.write_bytes(("\ufeff" + "\n".join(rows) + "\n").encode())
    admin = browser.new_context().new_page()
    log_in(admin, demo, "admin")
    admin.get_by_role("link", name="Import people and enrollments (CSV)").click()
    admin.get_by_label("CSV file").set_input_files(str(csv_file))
    admin.get_by_role("button", name="Upload").click()
    expect(admin.get_by_text("No errors. Nothing has been changed yet.")).to_be_visible()
    expect(admin.locator(".import-report tbody tr")).to_have_count(2)
    admin.get_by_role("button", name="Import for real").click()
    expect(admin.get_by_text("Imported.")).to_be_visible()

    student = browser.new_context().new_page()
    log_in(student, demo, "han.mm", "first-day-2026")
    expect(student.get_by_role("heading", level=1)).to_contain_text("韩梅梅")
    my_courses = student.locator("[data-dashboard=student]")
    expect(my_courses.get_by_role("link", name="Introduction to machine learning")).to_be_visible()
    expect(my_courses.get_by_role("link", name=re.compile("Tang poetry"))).to_be_visible()


HOSTILE = [
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss = 'img'\">",
    "[click me](javascript:window.__xss='link')",
    "[also me](JaVaScRiPt:window.__xss='link2')",
    "<a href=\"javascript:window.__xss='raw'\">raw link</a>",
    "<svg onload=\"window.__xss='svg'\"></svg>",
    "<iframe srcdoc=\"<script>parent.__xss='iframe'</script>\"></iframe>",
    "$\\href{javascript:window.__xss='math'}{x}$",
]


def test_hostile_lesson_content_never_runs(demo, browser: Browser):
    course = Course.objects.get(code="ML-101")
    lesson = course.modules.first().lessons.first()
    block_create(lesson=lesson, kind="text", body="\n\n".join(HOSTILE))
    page = browser.new_context().new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, demo, "teacher2")  # ML-101's teacher previews the lesson
    page.goto(f"{demo}/courses/lessons/{lesson.pk}/")
    expect(page.get_by_text("click me")).to_be_visible()
    for name in ("click me", "also me"):
        page.get_by_text(name).click()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    assert (
        page.locator("article.lesson script, article.lesson iframe, article.lesson svg").count()
        == 0
    )
    assert page.locator("article.lesson [onerror], article.lesson [onload]").count() == 0
    assert page.locator("article.lesson a[href^='javascript' i]").count() == 0
    expect(page).to_have_url(re.compile(rf"/courses/lessons/{lesson.pk}/$"))
