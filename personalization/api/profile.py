"""The learner profile (the student's own, and read-only for their teachers) and recommendations."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.selectors import school_list_for_user
from personalization.models import EducationLevel, StudyFormat
from personalization.recommend import course_recommendations
from personalization.selectors import (
    ProfileChoices,
    ProfileView,
    profile_choices,
    profile_get,
    profile_view,
    student_list_visible,
    student_school_ids,
    user_is_student,
)
from personalization.services.profile import (
    MAX_GOAL_TEXT,
    MAX_SUBJECTS,
    MAX_TAGS,
    profile_update,
)

ID = {"min_value": 1, "max_value": 2**63 - 1}
MAX_RECOMMENDATIONS = 20


def _require_student(user) -> None:
    if not user_is_student(user=user):
        raise PermissionDenied(_("Only students have a learner profile."))


@extend_schema_serializer(component_name="ProfileTopic")
class TopicSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


@extend_schema_serializer(component_name="ProfileCourse")
class CourseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    title = serializers.CharField()


@extend_schema_serializer(component_name="LearnerProfile")
class ProfileOutputSerializer(serializers.Serializer):
    """A `ProfileView`; before the first save, the defaults and `onboarded_at` null."""

    student = serializers.IntegerField(source="student.pk")
    education_level = serializers.SerializerMethodField()
    interest_subjects = serializers.SerializerMethodField()
    interest_tags = TopicSerializer(many=True)
    goal_text = serializers.SerializerMethodField()
    exam_date = serializers.SerializerMethodField()
    target_course = CourseRefSerializer(allow_null=True)
    preferred_formats = serializers.SerializerMethodField()
    weekly_minutes = serializers.SerializerMethodField()
    study_days = serializers.SerializerMethodField()
    onboarded_at = serializers.SerializerMethodField()
    updated_at = serializers.SerializerMethodField()

    def _value(self, view: ProfileView, name: str, default):
        return getattr(view.profile, name) if view.profile is not None else default

    def get_education_level(self, view) -> str:
        return self._value(view, "education_level", "")

    def get_interest_subjects(self, view) -> list[str]:
        return self._value(view, "interest_subjects", [])

    def get_goal_text(self, view) -> str:
        return self._value(view, "goal_text", "")

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_exam_date(self, view):
        exam = self._value(view, "exam_date", None)
        return exam.isoformat() if exam else None

    def get_preferred_formats(self, view) -> list[str]:
        return self._value(view, "preferred_formats", [])

    def get_weekly_minutes(self, view) -> int | None:
        return self._value(view, "weekly_minutes", None)

    def get_study_days(self, view) -> list[int]:
        return self._value(view, "study_days", [])

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_onboarded_at(self, view):
        onboarded = self._value(view, "onboarded_at", None)
        return serializers.DateTimeField().to_representation(onboarded) if onboarded else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_updated_at(self, view):
        updated = self._value(view, "updated_at", None)
        return serializers.DateTimeField().to_representation(updated) if updated else None


@extend_schema_serializer(component_name="ProfileChoices")
class ChoicesSerializer(serializers.Serializer):
    subjects = serializers.ListField(child=serializers.CharField())
    tags = TopicSerializer(many=True)
    courses = CourseRefSerializer(many=True)


class ProfileApi(APIView):
    """
    The signed-in student's own profile. PUT sets the fields given and keeps the others; topics
    and the target course are given by id, and must be among `choices` (the student's schools).
    """

    @extend_schema_serializer(component_name="OwnLearnerProfile")
    class OutputSerializer(ProfileOutputSerializer):
        choices = serializers.SerializerMethodField()

        @extend_schema_field(ChoicesSerializer)
        def get_choices(self, view) -> dict:
            return ChoicesSerializer(self.context["choices"]).data

    @extend_schema_serializer(component_name="LearnerProfileRequest")
    class InputSerializer(serializers.Serializer):
        education_level = serializers.ChoiceField(
            choices=EducationLevel.choices, allow_blank=True, required=False
        )
        interest_subjects = serializers.ListField(
            child=serializers.CharField(max_length=80), max_length=MAX_SUBJECTS, required=False
        )
        interest_tags = serializers.ListField(
            child=serializers.IntegerField(**ID), max_length=MAX_TAGS, required=False
        )
        goal_text = serializers.CharField(
            max_length=MAX_GOAL_TEXT, allow_blank=True, required=False
        )
        exam_date = serializers.DateField(allow_null=True, required=False)
        target_course = serializers.IntegerField(allow_null=True, required=False, **ID)
        preferred_formats = serializers.ListField(
            child=serializers.ChoiceField(choices=StudyFormat.choices),
            max_length=len(StudyFormat.values),
            required=False,
        )
        weekly_minutes = serializers.IntegerField(min_value=15, max_value=60 * 40, required=False)
        study_days = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=7), max_length=7, required=False
        )

    def _response(self, request) -> Response:
        choices = profile_choices(student=request.user, profile=profile_get(student=request.user))
        return Response(
            self.OutputSerializer(
                profile_view(student=request.user), context={"choices": choices}
            ).data
        )

    @extend_schema(responses=OutputSerializer, operation_id="personalization_profile")
    def get(self, request):
        _require_student(request.user)
        return self._response(request)

    @extend_schema(
        request=InputSerializer,
        responses=OutputSerializer,
        operation_id="personalization_profile_update",
    )
    def put(self, request):
        _require_student(request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = _profile_fields(
            serializer.validated_data,
            profile_choices(student=request.user, profile=profile_get(student=request.user)),
        )
        profile_update(student=request.user, **fields)
        return self._response(request)


def _profile_fields(data: dict, choices: ProfileChoices) -> dict:
    """The arguments of `profile_update`: ids turned into the student's own schools' rows."""
    fields = dict(data)
    if "interest_tags" in data:
        wanted = set(data["interest_tags"])
        tags = list(choices.tags.filter(pk__in=wanted))
        if len(tags) != len(wanted):
            raise serializers.ValidationError(
                {"interest_tags": [_("Choose topics of your own school.")]}
            )
        fields["interest_tags"] = tags
    if data.get("target_course") is not None:
        course = choices.courses.filter(pk=data["target_course"]).first()
        if course is None:
            raise serializers.ValidationError(
                {"target_course": [_("Choose a course of your own school.")]}
            )
        fields["target_course"] = course
    return fields


class StudentProfileApi(APIView):
    """A learner's profile, read-only, for whoever may see the learner (404 for anyone else)."""

    @extend_schema(
        responses=ProfileOutputSerializer, operation_id="personalization_student_profile"
    )
    def get(self, request, student_id: int):
        student = get_object_or_404(student_list_visible(user=request.user), pk=student_id)
        view = profile_view(student=student, viewer=request.user)
        return Response(ProfileOutputSerializer(view).data)


class RecommendationListApi(APIView):
    """Courses the signed-in student could enroll in next, best first, each with its reason."""

    class FilterSerializer(serializers.Serializer):
        school = serializers.IntegerField(required=False, **ID)
        limit = serializers.IntegerField(min_value=1, max_value=MAX_RECOMMENDATIONS, default=5)

    @extend_schema_serializer(component_name="CourseRecommendation")
    class OutputSerializer(serializers.Serializer):
        course = CourseRefSerializer()
        subject = serializers.CharField(source="course.subject")
        level = serializers.CharField(source="course.level")
        url = serializers.SerializerMethodField()
        score = serializers.FloatField()
        reason_code = serializers.CharField()
        reason_args = serializers.DictField()
        reason = serializers.CharField()

        def get_url(self, recommendation) -> str:
            return reverse("courses:course_detail", args=[recommendation.course.pk])

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
        operation_id="personalization_recommendations",
    )
    def get(self, request):
        _require_student(request.user)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        school = None
        if "school" in filters.validated_data:
            studied = school_list_for_user(user=request.user).filter(
                pk__in=student_school_ids(student=request.user)
            )
            school = get_object_or_404(studied, pk=filters.validated_data["school"])
        recommendations = course_recommendations(
            student=request.user, limit=filters.validated_data["limit"], school=school
        )
        return Response(self.OutputSerializer(recommendations, many=True).data)
