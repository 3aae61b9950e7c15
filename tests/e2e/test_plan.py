"""In Chromium: the plan page rewrites itself when the student submits a test in another tab."""

import pytest
from playwright.sync_api import Browser, expect

from assessments.services.authoring import assessment_update
from tests.e2e.test_assessments import log_in, start
from tests.personalization.conftest import course_world, plan_world

pytestmark = pytest.mark.e2e
__all__ = ["course_world", "plan_world"]  # fixtures


def test_the_open_plan_page_changes_by_itself_after_a_submit(
    live_asgi_server, plan_world, celery_worker_thread, browser: Browser
):
    # given the student's plan page open in one tab, before any test
    base, test = live_asgi_server, plan_world["test"]
    assessment_update(assessment=test, layout="all_on_one_page")
    context = browser.new_context()
    plan_tab = context.new_page()
    log_in(plan_tab, base, plan_world["student"].username)
    plan_tab.goto(f"{base}/learn/plan/")
    expect(plan_tab.locator(".plan .empty")).to_contain_text(
        "Your plan appears after your first test"
    )
    # when the student takes the test in another tab, getting Equations wrong
    test_tab = context.new_page()
    start(test_tab, base, test)
    for fieldset in test_tab.locator("fieldset.question-true_false").all():
        fieldset.get_by_label("False").check()
    expect(test_tab.locator(".save-state")).to_have_attribute("data-state", "saved")
    test_tab.get_by_role("button", name="Submit", exact=True).click()
    test_tab.get_by_role("button", name="Submit now").click()
    expect(test_tab.get_by_role("heading", name="Your result")).to_be_visible()
    # then the plan tab, untouched, shows the new steps and their reason within seconds
    review = plan_tab.locator('.plan-step[data-kind="review"]').first
    expect(review).to_contain_text("Review “Equations”", timeout=15_000)
    expect(review.locator(".plan-reason")).to_contain_text("after “Unit test 1”")
    expect(plan_tab.locator(".plan-meta")).to_contain_text("Updated after “Unit test 1”")
    expect(plan_tab.locator("#plan-announce")).to_have_text("Your plan was updated.")
    # and marking a step done works in place
    review.get_by_role("button", name="Mark done").click()
    expect(plan_tab.locator(".plan-closed summary")).to_contain_text("1 step done or set aside")
