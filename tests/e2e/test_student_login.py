import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_demo_student_logs_in_and_sees_home_in_both_languages(live_asgi_server, page: Page):
    # given the demo school
    call_command("seed_demo", force=True, stdout=io.StringIO())
    # when a demo student signs in
    page.goto(f"{live_asgi_server}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill("student01")
    page.get_by_label("Password").fill("pathwise-demo")
    page.get_by_role("button", name="Log in").click()
    # then the student home page opens, in English
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome back, 王小明")
    expect(page.locator('[data-dashboard="student"]')).to_be_visible()
    expect(page.get_by_role("heading", name="My courses")).to_be_visible()
    expect(page.get_by_text("Grade 10 · Class 1")).to_be_visible()
    # when they switch the language to Simplified Chinese
    page.get_by_label("Language").select_option("zh-hans")
    # then the same page is shown in Chinese
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_contain_text("欢迎回来，王小明")
    expect(page.get_by_role("heading", name="我的课程")).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    # and back to English
    page.get_by_label("语言").select_option("en")
    expect(page.get_by_role("heading", name="My courses")).to_be_visible()
