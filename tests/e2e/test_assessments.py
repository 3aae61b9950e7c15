"""Tests in Chromium: a student's answers survive a dropped network; a teacher watches live."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from assessments.models import Attempt, AttemptStatus, Response
from assessments.services.authoring import assessment_update
from tests.assessments.conftest import course_world, exam_world
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e
__all__ = ["course_world", "exam_world"]  # fixtures


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def start(page: Page, base: str, assessment) -> None:
    page.goto(f"{base}/courses/{assessment.course_id}/")
    page.get_by_role("link", name=assessment.title).click()
    page.get_by_role("button", name="Start").click()
    expect(page.locator(".save-state")).to_have_attribute("data-state", "saved")


def question(page: Page, kind: str):
    return page.locator(f"fieldset.question-{kind}")


def test_answers_survive_going_offline_and_a_reload(live_asgi_server, exam_world, browser: Browser):
    # given all six questions on one page
    base, assessment = live_asgi_server, exam_world["assessment"]
    assessment_update(assessment=assessment, layout="all_on_one_page")
    context = browser.new_context()
    page = context.new_page()
    log_in(page, base, exam_world["student"].username)
    start(page, base, assessment)
    # when the student answers two questions online
    question(page, "single_choice").locator("input").first.check()
    question(page, "true_false").get_by_label("True").check()
    expect(page.locator(".save-state")).to_have_attribute("data-state", "saved")
    # goes offline and answers three more
    context.set_offline(True)
    question(page, "numeric").get_by_label("Your answer (a number)").fill("9.8")
    question(page, "numeric").get_by_label("Unit").fill("m/s²")
    question(page, "short_text").get_by_label("Your answer").fill("photosynthesis")
    question(page, "multiple_choice").get_by_label("2", exact=True).check()
    question(page, "multiple_choice").get_by_label("3", exact=True).check()
    expect(page.locator(".save-state")).to_have_attribute("data-state", "offline")
    offline_answers = Response.objects.filter(answer__isnull=False).count()
    # and comes back online
    context.set_offline(False)
    expect(page.locator(".save-state")).to_have_attribute("data-state", "saved", timeout=15_000)
    # then after a reload every answer is there
    page.reload()
    expect(question(page, "single_choice").locator("input").first).to_be_checked()
    expect(question(page, "true_false").get_by_label("True")).to_be_checked()
    expect(question(page, "numeric").get_by_label("Your answer (a number)")).to_have_value("9.8")
    expect(question(page, "short_text").get_by_label("Your answer")).to_have_value("photosynthesis")
    expect(question(page, "multiple_choice").get_by_label("3", exact=True)).to_be_checked()
    assert offline_answers == 2
    assert Response.objects.filter(answer__isnull=False).count() == 5
    # when the student submits
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator(".submit-summary")).to_have_text("1 of 6 questions have no answer yet.")
    page.get_by_role("button", name="Submit now").click()
    # then the review shows the score, right answers and feedback (the policy allows it)
    expect(page.get_by_role("heading", name="Your result")).to_be_visible()
    expect(page.locator(".result-score")).to_contain_text("5.00")
    expect(page.locator(".review-question")).to_have_count(6)
    expect(page.locator(".review-question.is-wrong")).to_have_count(1)
    assert Attempt.objects.get().status == AttemptStatus.SUBMITTED


def test_answers_left_in_the_browser_are_sent_on_the_next_visit(
    live_asgi_server, exam_world, browser: Browser
):
    # given a student who answers while offline and closes the tab
    base, assessment = live_asgi_server, exam_world["assessment"]
    assessment_update(assessment=assessment, layout="one_per_page")
    context = browser.new_context()
    page = context.new_page()
    log_in(page, base, exam_world["student"].username)
    start(page, base, assessment)
    context.set_offline(True)
    page.locator("fieldset.question-single_choice input").first.check()
    expect(page.locator(".save-state")).to_have_attribute("data-state", "offline")
    page.close()
    assert not Response.objects.filter(answer__isnull=False).exists()
    # when the network is back and the student opens the test again
    context.set_offline(False)
    again = context.new_page()
    again.goto(f"{base}/assessments/attempts/{Attempt.objects.get().pk}/")
    # then the answer kept in the browser reaches the server
    expect(again.locator(".save-state")).to_have_attribute("data-state", "saved", timeout=15_000)
    assert Response.objects.filter(answer__isnull=False).count() == 1


def test_the_teachers_results_page_updates_when_a_student_submits(
    live_asgi_server, exam_world, browser: Browser
):
    # given the teacher watching the live results
    base, assessment = live_asgi_server, exam_world["assessment"]
    teacher = browser.new_context().new_page()
    log_in(teacher, base, exam_world["teacher"].username)
    teacher.goto(f"{base}/assessments/{assessment.pk}/results/")
    expect(teacher.locator(".live-state")).to_have_attribute("data-state", "live")
    expect(teacher.locator('[data-count="submitted"]')).to_have_text("0")
    # when a student starts (the page shows it in progress) and submits
    student = browser.new_context().new_page()
    log_in(student, base, exam_world["student"].username)
    assessment_update(assessment=assessment, layout="all_on_one_page")
    start(student, base, assessment)
    expect(teacher.locator('[data-count="in_progress"]')).to_have_text("1")
    question(student, "true_false").get_by_label("False").check()
    expect(student.locator(".save-state")).to_have_attribute("data-state", "saved")
    student.get_by_role("button", name="Submit", exact=True).click()
    student.get_by_role("button", name="Submit now").click()
    expect(student.get_by_role("heading", name="Your result")).to_be_visible()
    # then, without a reload, the teacher's page counts the submit and shows the wrong answer
    expect(teacher.locator('[data-count="submitted"]')).to_have_text("1", timeout=5_000)
    expect(teacher.locator('[data-count="in_progress"]')).to_have_text("0")
    row = teacher.locator(".student-rows tr").first
    expect(row).to_have_attribute("data-status", "submitted")
    expect(row).to_contain_text(re.compile(r"0\.00 / 6\.00"))
    tf_row = teacher.locator(".question-rows tr", has_text="Q true_false")
    expect(tf_row.locator("td").nth(2)).to_have_text("0%")
    expect(tf_row).to_contain_text("False (1)")
