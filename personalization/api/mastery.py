"""Mastery: a learner's estimates with their history, a course's heatmap and students at risk."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.selectors import course_list_editable
from personalization.selectors import (
    AtRiskCode,
    HeatmapSort,
    MasteryLevel,
    at_risk_students,
    course_mastery_heatmap,
    heatmap_classroom_list,
    student_list_visible,
    student_mastery,
)

ID = {"min_value": 1, "max_value": 2**63 - 1}


# --- A learner's mastery ------------------------------------------------------------------------


@extend_schema_serializer(component_name="MasteryHistoryPoint")
class HistoryPointSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    mastery = serializers.FloatField()
    attempt = serializers.IntegerField(source="attempt_id", allow_null=True)
    assessment = serializers.CharField(allow_null=True, help_text="The attempt's assessment.")


@extend_schema_serializer(component_name="KnowledgePointMastery")
class PointMasterySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="knowledge_point.pk")
    name = serializers.CharField(source="knowledge_point.name")
    mastery = serializers.FloatField(allow_null=True, help_text="0 to 1; null: not assessed yet.")
    mastery_level = serializers.ChoiceField(source="level", choices=MasteryLevel.choices)
    evidence = serializers.IntegerField(help_text="Answers seen.")
    correct = serializers.IntegerField(help_text="Answers correct.")
    last_practiced_at = serializers.DateTimeField(allow_null=True)
    history = HistoryPointSerializer(many=True, help_text="The latest refreshes, oldest first.")


@extend_schema_serializer(component_name="CourseMastery")
class CourseMasterySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="course.pk")
    code = serializers.CharField(source="course.code")
    title = serializers.CharField(source="course.title")
    knowledge_points = PointMasterySerializer(source="points", many=True)


@extend_schema_serializer(component_name="StudentMastery")
class StudentMasterySerializer(serializers.Serializer):
    student = serializers.IntegerField(source="student.pk")
    name = serializers.CharField(source="student.name")
    courses = CourseMasterySerializer(many=True)


def _student_mastery_data(student, viewer) -> dict:
    return StudentMasterySerializer(
        {"student": student, "courses": student_mastery(student=student, viewer=viewer)}
    ).data


class MasteryDetailApi(APIView):
    """The signed-in learner's mastery in each course they are enrolled in, with its history."""

    @extend_schema(responses=StudentMasterySerializer, operation_id="personalization_mastery")
    def get(self, request):
        return Response(_student_mastery_data(request.user, request.user))


class StudentMasteryDetailApi(APIView):
    """A learner's mastery, for whoever may see the learner (their teachers, their admins)."""

    @extend_schema(
        responses=StudentMasterySerializer, operation_id="personalization_student_mastery"
    )
    def get(self, request, student_id: int):
        student = get_object_or_404(student_list_visible(user=request.user), pk=student_id)
        return Response(_student_mastery_data(student, request.user))


# --- A course's heatmap -------------------------------------------------------------------------


@extend_schema_serializer(component_name="MasteryHeatmapCell")
class HeatmapCellSerializer(serializers.Serializer):
    knowledge_point = serializers.IntegerField(source="knowledge_point_id")
    mastery = serializers.FloatField(allow_null=True, help_text="0 to 1; null: not assessed yet.")
    mastery_level = serializers.ChoiceField(source="level", choices=MasteryLevel.choices)
    evidence = serializers.IntegerField()
    correct = serializers.IntegerField()


@extend_schema_serializer(component_name="MasteryHeatmapRow")
class HeatmapRowSerializer(serializers.Serializer):
    student = serializers.IntegerField(source="student.pk")
    name = serializers.CharField(source="student.name")
    username = serializers.CharField(source="student.username")
    average = serializers.FloatField(allow_null=True, help_text="Over the assessed points.")
    assessed = serializers.IntegerField(source="assessed_count")
    weak = serializers.IntegerField(source="weak_count", help_text="Points that need work.")
    cells = HeatmapCellSerializer(many=True, help_text="In the order of `knowledge_points`.")


@extend_schema_serializer(component_name="MasteryHeatmapColumn")
class HeatmapColumnSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="knowledge_point.pk")
    name = serializers.CharField(source="knowledge_point.name")
    average = serializers.FloatField(allow_null=True, help_text="Over the assessed students.")
    assessed = serializers.IntegerField(source="assessed_count")


@extend_schema_serializer(component_name="MasteryHeatmap")
class HeatmapSerializer(serializers.Serializer):
    course = serializers.IntegerField(source="course.pk")
    average = serializers.FloatField(allow_null=True)
    knowledge_points = HeatmapColumnSerializer(source="columns", many=True)
    students = HeatmapRowSerializer(source="rows", many=True)


class CourseMasteryHeatmapApi(APIView):
    """
    The class heatmap: active students by the course's knowledge points. For the course's
    teachers and school admins; /ws/personalization/courses/{id}/mastery/ pushes changed rows.
    """

    @extend_schema_serializer(component_name="MasteryHeatmapQuery")
    class InputSerializer(serializers.Serializer):
        classroom = serializers.IntegerField(required=False, **ID)
        sort = serializers.ChoiceField(choices=HeatmapSort.choices, default=HeatmapSort.NAME)

    @extend_schema(
        parameters=[InputSerializer],
        responses=HeatmapSerializer,
        operation_id="personalization_course_mastery",
    )
    def get(self, request, course_id: int):
        course = get_object_or_404(course_list_editable(user=request.user), pk=course_id)
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        classroom = None
        if "classroom" in query.validated_data:
            classroom = get_object_or_404(
                heatmap_classroom_list(course=course), pk=query.validated_data["classroom"]
            )
        heatmap = course_mastery_heatmap(
            course=course, classroom=classroom, sort=query.validated_data["sort"]
        )
        return Response(HeatmapSerializer(heatmap).data)


# --- Students at risk ---------------------------------------------------------------------------


@extend_schema_serializer(component_name="AtRiskReason")
class AtRiskReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=AtRiskCode.choices)
    text = serializers.CharField(help_text="The reason in words, in the request's language.")
    args = serializers.DictField(help_text="The figures behind the reason, by `code`.")


@extend_schema_serializer(component_name="AtRiskStudent")
class AtRiskSerializer(serializers.Serializer):
    student = serializers.IntegerField(source="student.pk")
    name = serializers.CharField(source="student.name")
    username = serializers.CharField(source="student.username")
    reasons = AtRiskReasonSerializer(many=True)


class CourseAtRiskListApi(APIView):
    """
    The course's students at risk (low or falling mastery, inactivity), each with its reasons;
    the rules and thresholds are those of `personalization.selectors.at_risk_students`.
    """

    @extend_schema(
        responses=AtRiskSerializer(many=True),
        operation_id="personalization_course_at_risk",
    )
    def get(self, request, course_id: int):
        course = get_object_or_404(course_list_editable(user=request.user), pk=course_id)
        return Response(AtRiskSerializer(at_risk_students(course=course), many=True).data)
