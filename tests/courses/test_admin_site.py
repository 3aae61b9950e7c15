import pytest
from django.contrib import admin
from django.urls import reverse


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_admin_page_opens_for_a_superuser(admin_client, course_world, model):
    meta = model._meta
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    if meta.app_label == "lms":  # courses are changed in the course editor; axes logs are read-only
        add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        assert admin_client.get(add).status_code == 200


def test_course_content_is_view_only_in_the_admin_site(admin_client, course_world):
    lesson = course_world["lessons"][0]
    response = admin_client.post(
        reverse("admin:courses_lesson_change", args=[lesson.pk]), {"title": "Changed"}
    )
    assert response.status_code == 403
    lesson.refresh_from_db()
    assert lesson.title != "Changed"


def test_admin_site_is_closed_to_school_admins(client, school_world):
    client.force_login(school_world["a"]["admin"])
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response.url
