"""Uploaded course files are served only to those who may see them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.services import authoring
from tests.courses.conftest import PEOPLE, page_status

VIDEO = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def video_block(course_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lesson = course_world["lessons"][0]
    return authoring.block_create(
        lesson=lesson, kind="video", file=SimpleUploadedFile("lecture one.mp4", VIDEO)
    )


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", "login"),
        ("enrolled_student", 200),
        ("other_student", 404),
        ("course_teacher", 200),
        ("other_teacher", 404),
        ("school_admin", 200),
        ("other_school", 404),
    ],
)
def test_block_file_matrix(as_person, video_block, person, expected):
    response = as_person(person).get(reverse("courses:block_file", args=[video_block.pk]))
    assert page_status(response) == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == VIDEO
        assert response["Content-Type"] == "video/mp4"


def test_uploads_get_random_names(video_block):
    assert "lecture" not in video_block.file.name
    assert video_block.file.name.endswith(".mp4")


def test_files_of_a_locked_lesson_are_hidden_from_students(as_person, course_world, video_block):
    first, second, *_ = course_world["lessons"]
    block = authoring.block_create(
        lesson=second, kind="file", file=SimpleUploadedFile("answers.pdf", b"%PDF-1.4 answers")
    )
    authoring.lesson_set_prerequisites(lesson=second, prerequisites=[first])
    url = reverse("courses:block_file", args=[block.pk])
    assert as_person("enrolled_student").get(url).status_code == 404
    response = as_person("course_teacher").get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == "attachment"


@pytest.mark.parametrize(
    ("header", "status", "content_range", "body"),
    [
        ("bytes=0-9", 206, "bytes 0-9/10240", VIDEO[:10]),
        ("bytes=10230-", 206, "bytes 10230-10239/10240", VIDEO[10230:]),
        ("bytes=-5", 206, "bytes 10235-10239/10240", VIDEO[-5:]),
        ("bytes=20000-", 416, "bytes */10240", b""),
    ],
)
def test_byte_ranges_for_video_seeking(as_person, video_block, header, status, content_range, body):
    response = as_person("enrolled_student").get(
        reverse("courses:block_file", args=[video_block.pk]), headers={"range": header}
    )
    assert response.status_code == status
    assert response["Content-Range"] == content_range
    assert response.content == body


def test_front_server_sends_the_file_when_configured(as_person, video_block, settings):
    settings.MEDIA_ACCEL_REDIRECT = "/protected-media/"
    response = as_person("enrolled_student").get(
        reverse("courses:block_file", args=[video_block.pk])
    )
    assert response["X-Accel-Redirect"] == "/protected-media/" + video_block.file.name
    assert response.content == b""


def test_lesson_page_links_files_through_the_checked_view(as_person, course_world, video_block):
    html = (
        as_person("enrolled_student")
        .get(reverse("courses:lesson_detail", args=[course_world["lessons"][0].pk]))
        .content.decode()
    )
    assert reverse("courses:block_file", args=[video_block.pk]) in html
    assert "/media/" not in html


@pytest.mark.parametrize("person", list(PEOPLE))
def test_course_cover_matrix(as_person, course_world, settings, tmp_path, person):
    from io import BytesIO

    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buffer = BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, "PNG")
    course = course_world["course"]
    authoring.course_update(
        course=course, cover_image=SimpleUploadedFile("c.png", buffer.getvalue())
    )
    response = as_person(person).get(reverse("courses:course_cover", args=[course.pk]))
    expected = {"anonymous": "login", "other_school": 404}.get(person, 200)
    assert page_status(response) == expected


def test_code_stylesheet_is_served(client):
    response = client.get(reverse("courses:code_css"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert ".codehilite" in response.content.decode()
