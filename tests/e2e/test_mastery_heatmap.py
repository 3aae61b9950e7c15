"""In Chromium: the class heatmap patches itself as mastery changes (heatmap.js over the socket)."""

import pytest
from playwright.sync_api import Browser, expect

from tests.courses.conftest import course_world
from tests.e2e.test_assessments import log_in
from tests.personalization.test_heatmap import class_world
from tests.personalization.test_heatmap_live import _set_mastery
from tests.personalization.test_mastery_pages import mastery_world

pytestmark = pytest.mark.e2e
__all__ = ["class_world", "course_world", "mastery_world"]  # fixtures


def test_changed_rows_are_patched_averaged_and_resorted(
    live_asgi_server, class_world, browser: Browser
):
    # given the teacher watching the heatmap, weakest first: Bea, Ann, then Cy (not assessed)
    base, course = live_asgi_server, class_world["course"]
    page = browser.new_page()
    log_in(page, base, class_world["teacher"].username)
    page.goto(f"{base}/learn/courses/{course.pk}/mastery/?sort=weakness")
    expect(page.locator(".live-state")).to_have_attribute("data-state", "live")
    rows = page.locator("#heatmap tbody tr")
    expect(rows.locator("th")).to_have_text(["Bea", "Ann", "Cy"])
    # when Cy's first answers put Fractions at 0.10, and Ann's Ratios reaches 0.90
    _set_mastery(class_world["cy"], class_world["fractions"], 0.10, course.pk)
    _set_mastery(class_world["student"], class_world["ratios"], 0.90, course.pk)
    # then the cells, the averages and the order follow without a reload
    ann = page.locator(f'tr[data-student="{class_world["student"].pk}"]')
    ratios = class_world["ratios"].pk
    expect(ann.locator(f'td[data-kp="{ratios}"]')).to_have_text("90")
    expect(ann.locator(".heat-average")).to_have_text("73%")
    cy_fractions = page.locator(
        f'tr[data-student="{class_world["cy"].pk}"] td[data-kp="{class_world["fractions"].pk}"]'
    )
    expect(cy_fractions).to_have_text("10")
    expect(cy_fractions).to_have_attribute("title", "Needs work · 5 answers, 3 correct")
    expect(rows.locator("th")).to_have_text(["Cy", "Bea", "Ann"])
    footer = page.locator("#heatmap tfoot")
    expect(footer.locator(f'td[data-kp="{ratios}"]')).to_have_text("90")
    expect(footer.locator(f'td[data-kp="{class_world["fractions"].pk}"]')).to_have_text("25")
    expect(page.locator("#heatmap-announce")).to_contain_text("Updated:")
    # and the row links still lead to each student's mastery page
    expect(ann.get_by_role("link", name="Ann")).to_have_attribute(
        "href", f"/learn/students/{class_world['student'].pk}/mastery/"
    )
