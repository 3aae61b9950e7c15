"""The learner profile: onboarding, the profile page, the service and its validation."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from courses.models import Tag
from lms.exceptions import ApplicationError
from lms.models import Role
from personalization.models import LearnerProfile, PlanRefresh
from personalization.selectors import profile_choices, profile_needs_onboarding
from personalization.services.profile import profile_update
from personalization.views.profile import onboarding_pending
from tests.factories import CourseFactory


@pytest.fixture
def profile_world(course_world):
    """course_world plus topics of each school, and subjects: A teaches Mathematics and Physics."""
    a, b = course_world["a"], course_world["b"]
    physics = CourseFactory(school=a["school"], title="Mechanics", subject="Physics")
    draft = CourseFactory(
        school=a["school"], title="Secret draft", subject="Alchemy", is_published=False
    )
    b_course = CourseFactory(school=b["school"], title="B's history", subject="History")
    return {
        **course_world,
        "student": a[Role.STUDENT],
        "physics": physics,
        "draft": draft,
        "b_course": b_course,
        "algebra_tag": Tag.objects.create(school=a["school"], name="algebra"),
        "space_tag": Tag.objects.create(school=a["school"], name="space"),
        "b_tag": Tag.objects.create(school=b["school"], name="b-topic"),
    }


def valid_post(world, **overrides) -> dict:
    data = {
        "interest_subjects": ["Physics"],
        "interest_tags": [world["space_tag"].pk],
        "education_level": "high",
        "exam_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "target_course": world["physics"].pk,
        "goal_text": "Understand  forces\r\nand pass the exam",
        "preferred_formats": ["video", "practice"],
        "weekly_minutes": "240",
        "study_days": ["1", "3", "5"],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def rows() -> dict:
    profiles = list(LearnerProfile.objects.order_by("pk").values())
    tags = list(LearnerProfile.interest_tags.through.objects.order_by("pk").values())
    return {"profiles": profiles, "tags": tags, "refreshes": PlanRefresh.objects.count()}


# --- Onboarding -------------------------------------------------------------------------------


def test_onboarding_saves_the_profile_and_goes_to_the_plan(as_person, profile_world):
    # given
    client = as_person("enrolled_student")
    # when
    response = client.post(reverse("personalization:onboarding"), valid_post(profile_world))
    # then
    assert response.status_code == 302
    assert response.url == reverse("personalization:plan")
    profile = LearnerProfile.objects.get(student=profile_world["student"])
    assert profile.onboarded_at is not None
    assert profile.interest_subjects == ["Physics"]
    assert list(profile.interest_tags.all()) == [profile_world["space_tag"]]
    assert profile.education_level == "high"
    assert profile.target_course == profile_world["physics"]
    assert profile.goal_text == "Understand  forces\nand pass the exam"
    assert profile.preferred_formats == ["video", "practice"]
    assert profile.weekly_minutes == 240
    assert profile.study_days == [1, 3, 5]
    assert not profile_needs_onboarding(student=profile_world["student"])


def test_onboarding_page_offers_only_the_students_own_schools_choices(as_person, profile_world):
    # when
    response = as_person("enrolled_student").get(reverse("personalization:onboarding"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Physics" in html
    assert "Mathematics" in html
    assert "space" in html
    assert "Mechanics" in html
    assert "Alchemy" not in html  # the subject of a draft only
    assert "Secret draft" not in html
    assert "b-topic" not in html
    assert "History" not in html
    assert "Skip for now" in html


def test_onboarding_of_an_onboarded_student_opens_the_profile_page(as_person, profile_world):
    # given
    profile_update(student=profile_world["student"], weekly_minutes=60)
    # when
    response = as_person("enrolled_student").get(reverse("personalization:onboarding"))
    # then
    assert response.status_code == 302
    assert response.url == reverse("personalization:profile")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"weekly_minutes": None}, "weekly_minutes"),
        ({"weekly_minutes": "10"}, "weekly_minutes"),
        ({"weekly_minutes": "2401"}, "weekly_minutes"),
        ({"weekly_minutes": "12.5"}, "weekly_minutes"),
        ({"weekly_minutes": "lots"}, "weekly_minutes"),
        ({"exam_date": "2026-02-30"}, "exam_date"),
        ({"exam_date": "1999-01-01"}, "exam_date"),
        ({"exam_date": "9999-12-31"}, "exam_date"),
        ({"study_days": ["0"]}, "study_days"),
        ({"study_days": ["8"]}, "study_days"),
        ({"study_days": ["monday"]}, "study_days"),
        ({"preferred_formats": ["dancing"]}, "preferred_formats"),
        ({"interest_subjects": ["Alchemy"]}, "interest_subjects"),
        ({"interest_subjects": ["History"]}, "interest_subjects"),
        ({"interest_tags": ["abc"]}, "interest_tags"),
        ({"interest_tags": ["999999999"]}, "interest_tags"),
        ({"education_level": "wizard"}, "education_level"),
        ({"goal_text": "x" * 2001}, "goal_text"),
        ({"target_course": "0"}, "target_course"),
    ],
)
def test_onboarding_refuses_bad_answers_and_saves_nothing(
    as_person, profile_world, overrides, field
):
    # given
    before = rows()
    # when
    response = as_person("enrolled_student").post(
        reverse("personalization:onboarding"), valid_post(profile_world, **overrides)
    )
    # then
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert 'role="alert"' in response.content.decode()
    assert rows() == before


def test_a_topic_of_another_school_is_refused(as_person, profile_world):
    # given
    before = rows()
    # when
    response = as_person("enrolled_student").post(
        reverse("personalization:onboarding"),
        valid_post(profile_world, interest_tags=[profile_world["b_tag"].pk]),
    )
    # then
    assert response.status_code == 400
    assert "interest_tags" in response.context["form"].errors
    assert rows() == before


def test_a_course_of_another_school_or_a_draft_is_refused_as_target(as_person, profile_world):
    # given
    client = as_person("enrolled_student")
    before = rows()
    for course in (profile_world["b_course"], profile_world["draft"]):
        # when
        response = client.post(
            reverse("personalization:onboarding"),
            valid_post(profile_world, target_course=course.pk),
        )
        # then
        assert response.status_code == 400
        assert "target_course" in response.context["form"].errors
    assert rows() == before


def test_skipping_onboarding_saves_nothing_and_asks_no_more_in_the_session(
    as_person, profile_world, rf
):
    # given
    client = as_person("enrolled_student")
    # when
    response = client.post(reverse("personalization:onboarding_skip"))
    # then
    assert response.status_code == 302
    assert response.url == reverse("personalization:plan")
    assert not LearnerProfile.objects.exists()
    assert not PlanRefresh.objects.exists()
    assert profile_needs_onboarding(student=profile_world["student"])
    request = rf.get("/")
    request.user = profile_world["student"]
    request.session = client.session
    assert not onboarding_pending(request)


def test_onboarding_is_pending_for_a_new_student_only(rf, profile_world):
    # given
    request = rf.get("/")
    request.session = {}
    # then
    request.user = profile_world["student"]
    assert onboarding_pending(request)
    request.user = profile_world["a"][Role.TEACHER]
    assert not onboarding_pending(request)


def test_skip_needs_post(as_person):
    response = as_person("enrolled_student").get(reverse("personalization:onboarding_skip"))
    assert response.status_code == 405


# --- The profile page ---------------------------------------------------------------------------


def test_profile_page_shows_the_saved_answers_and_saves_changes(as_person, profile_world):
    # given
    student = profile_world["student"]
    profile_update(
        student=student,
        interest_subjects=["Physics"],
        interest_tags=[profile_world["space_tag"]],
        weekly_minutes=90,
    )
    first = LearnerProfile.objects.get(student=student).onboarded_at
    client = as_person("enrolled_student")
    # when
    page = client.get(reverse("personalization:profile"))
    response = client.post(
        reverse("personalization:profile"),
        valid_post(profile_world, interest_subjects=["Mathematics"], weekly_minutes="45"),
    )
    # then
    html = page.content.decode()
    assert 'value="Physics"' in html
    assert 'value="90"' in html
    assert response.status_code == 302
    assert response.url == reverse("personalization:profile")
    profile = LearnerProfile.objects.get(student=student)
    assert profile.interest_subjects == ["Mathematics"]
    assert profile.weekly_minutes == 45
    assert profile.onboarded_at == first
    assert "Your profile is saved" in client.get(response.url).content.decode()


def test_profile_page_refuses_bad_input_with_a_400_and_keeps_the_profile(as_person, profile_world):
    # given
    profile_update(student=profile_world["student"], weekly_minutes=90)
    before = rows()
    # when
    response = as_person("enrolled_student").post(
        reverse("personalization:profile"),
        valid_post(profile_world, weekly_minutes="99999", interest_tags=["-1"]),
    )
    # then
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"weekly_minutes", "interest_tags"}
    assert rows() == before


def test_profile_page_of_someone_without_a_student_place_says_so(as_person):
    response = as_person("course_teacher").get(reverse("personalization:profile"))
    assert response.status_code == 403
    assert "for students" in response.content.decode()


# --- The service --------------------------------------------------------------------------------


def test_profile_update_creates_then_updates_and_asks_for_a_plan_refresh_each_time(
    profile_world, django_capture_on_commit_callbacks
):
    # given
    student = profile_world["student"]
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        created = profile_update(student=student, weekly_minutes=60, study_days=[5, 1, 5])
    updated = profile_update(student=student, goal_text="  Pass the physics exam  ")
    # then
    assert created.pk == updated.pk
    assert updated.weekly_minutes == 60  # fields not given keep their value
    assert updated.study_days == [1, 5]
    assert updated.goal_text == "Pass the physics exam"
    assert updated.onboarded_at == created.onboarded_at
    refreshes = PlanRefresh.objects.filter(student=student)
    assert [r.reason for r in refreshes] == ["profile", "profile"]
    assert all(r.status == "pending" for r in refreshes)
    assert len(callbacks) == 1  # the task is enqueued once the transaction commits


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"weekly_minutes": 14}, "weekly_minutes"),
        ({"weekly_minutes": 2401}, "weekly_minutes"),
        ({"study_days": [0]}, "study_days"),
        ({"study_days": [True]}, "study_days"),
        ({"study_days": "12"}, "study_days"),
        ({"preferred_formats": ["video", "singing"]}, "preferred_formats"),
        ({"preferred_formats": "video"}, "preferred_formats"),
        ({"interest_subjects": ["Alchemy"]}, "interest_subjects"),
        ({"interest_subjects": "Physics"}, "interest_subjects"),
        ({"goal_text": "x" * 2001}, "goal_text"),
        ({"education_level": "wizard"}, "education_level"),
        ({"exam_date": "2030-01-01"}, "exam_date"),
    ],
)
def test_profile_update_refuses_bad_values_and_changes_nothing(profile_world, fields, field):
    # given
    before = rows()
    # when
    with pytest.raises(ValidationError) as refused:
        profile_update(student=profile_world["student"], **fields)
    # then
    assert field in refused.value.message_dict
    assert rows() == before


def test_profile_update_refuses_another_schools_topic_and_course(profile_world):
    # given
    student = profile_world["student"]
    profile_update(student=student, interest_tags=[profile_world["space_tag"]])
    before = rows()
    # when
    with pytest.raises(ValidationError) as tag_refused:
        profile_update(
            student=student, interest_tags=[profile_world["space_tag"], profile_world["b_tag"]]
        )
    with pytest.raises(ValidationError) as course_refused:
        profile_update(student=student, target_course=profile_world["b_course"])
    # then
    assert "interest_tags" in tag_refused.value.message_dict
    assert "target_course" in course_refused.value.message_dict
    assert rows() == before


def test_an_exam_date_in_the_past_is_refused_unless_it_was_already_there(profile_world):
    # given
    student = profile_world["student"]
    yesterday = timezone.localdate() - timedelta(days=1)
    # then
    with pytest.raises(ValidationError):
        profile_update(student=student, exam_date=yesterday)
    # given an exam date that has passed since it was saved
    profile_update(student=student, exam_date=timezone.localdate())
    LearnerProfile.objects.filter(student=student).update(exam_date=yesterday)
    # when saving the rest of the profile again
    profile = profile_update(student=student, exam_date=yesterday, weekly_minutes=30)
    # then
    assert profile.exam_date == yesterday
    assert profile_update(student=student, exam_date=None).exam_date is None


def test_a_course_unpublished_since_stays_a_valid_target(profile_world):
    # given
    student = profile_world["student"]
    physics = profile_world["physics"]
    profile_update(student=student, target_course=physics, interest_subjects=["Physics"])
    physics.is_published = False
    physics.save()
    # when
    profile = profile_update(student=student, target_course=physics, interest_subjects=["Physics"])
    # then
    assert profile.target_course == physics
    assert physics in profile_choices(student=student, profile=profile).courses


def test_only_students_have_a_profile(profile_world):
    # when
    with pytest.raises(ApplicationError) as refused:
        profile_update(student=profile_world["a"][Role.TEACHER], weekly_minutes=60)
    # then
    assert refused.value.status == 403
    assert not LearnerProfile.objects.exists()


def test_profile_update_rejects_unknown_fields(profile_world):
    with pytest.raises(TypeError):
        profile_update(student=profile_world["student"], onboarded_at=None)


# --- The teachers' read-only view ---------------------------------------------------------------


def test_a_teacher_reads_the_profile_without_a_form(as_person, profile_world):
    # given
    profile_update(
        student=profile_world["student"],
        interest_subjects=["Physics"],
        interest_tags=[profile_world["space_tag"]],
        goal_text="<b>Pass</b> the exam",
        study_days=[1, 7],
        preferred_formats=["reading"],
        target_course=profile_world["physics"],
    )
    # when
    response = as_person("course_teacher").get(
        reverse("personalization:student_profile", args=[profile_world["student"].pk])
    )
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Physics" in html
    assert "space" in html
    assert "Mechanics" in html
    assert "Monday, Sunday" in html
    assert "Reading" in html
    assert "&lt;b&gt;Pass&lt;/b&gt;" in html
    assert '<form method="post"' not in html.split('id="main"')[1].split("</main>")[0]


def test_a_teacher_sees_when_there_is_no_profile_yet(as_person, profile_world):
    response = as_person("school_admin").get(
        reverse("personalization:student_profile", args=[profile_world["student"].pk])
    )
    assert response.status_code == 200
    assert "has not filled in a learning profile yet" in response.content.decode()
