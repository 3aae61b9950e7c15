"""Taking an assessment: the student's endpoints (DESIGN.md §3, "Test taking")."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments.models import Attempt, AttemptStatus
from assessments.selectors import (
    assessment_list_for_student,
    attempt_list_for_student,
    attempt_review,
    attempt_view,
)
from assessments.services.attempts import MAX_SEQ, attempt_start, attempt_submit, response_save


@extend_schema_serializer(component_name="AttemptOption")
class OptionSerializer(serializers.Serializer):
    id = serializers.CharField()
    html = serializers.CharField()


@extend_schema_serializer(component_name="AttemptQuestion")
class QuestionSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.CharField()
    stem_html = serializers.CharField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2)
    options = OptionSerializer(many=True)
    unit = serializers.CharField(required=False)
    answer = serializers.JSONField(allow_null=True)
    seq = serializers.IntegerField()


@extend_schema_serializer(component_name="Attempt")
class AttemptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    assessment = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    server_now = serializers.DateTimeField()
    seconds_remaining = serializers.IntegerField(allow_null=True)
    questions = QuestionSerializer(many=True)


@extend_schema_serializer(component_name="ReviewedQuestion")
class ReviewedQuestionSerializer(QuestionSerializer):
    score = serializers.DecimalField(max_digits=8, decimal_places=2)
    is_correct = serializers.BooleanField()
    right_answer = serializers.JSONField()
    feedback_html = serializers.ListField(child=serializers.CharField())
    explanation_html = serializers.CharField()


@extend_schema_serializer(component_name="AttemptResult")
class ResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    assessment = serializers.IntegerField()
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    auto_submitted = serializers.BooleanField()
    score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    max_score = serializers.DecimalField(max_digits=8, decimal_places=2)
    review_available = serializers.BooleanField()
    questions = ReviewedQuestionSerializer(many=True)


class AttemptStartApi(APIView):
    """Start an attempt, or resume the open one (same questions, same deadline)."""

    @extend_schema(
        request=None,
        responses={201: AttemptSerializer, 200: AttemptSerializer},
        operation_id="assessments_attempt_start",
    )
    def post(self, request, assessment_id: int):
        assessment = get_object_or_404(
            assessment_list_for_student(user=request.user), pk=assessment_id
        )
        attempt, created = attempt_start(assessment=assessment, student=request.user)
        return Response(
            AttemptSerializer(attempt_view(attempt=attempt)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class AttemptDetailApi(APIView):
    @extend_schema(responses=AttemptSerializer, operation_id="assessments_attempt_detail")
    def get(self, request, attempt_id: int):
        attempt = get_object_or_404(attempt_list_for_student(user=request.user), pk=attempt_id)
        return Response(AttemptSerializer(attempt_view(attempt=attempt)).data)


class ResponseSaveApi(APIView):
    """Autosave one answer. Idempotent: a replayed or older save (by `seq`) changes nothing."""

    @extend_schema_serializer(component_name="ResponseSaveRequest")
    class InputSerializer(serializers.Serializer):
        answer = serializers.JSONField(allow_null=True)
        seq = serializers.IntegerField(min_value=1, max_value=MAX_SEQ - 1)

    @extend_schema_serializer(component_name="ResponseSaved")
    class OutputSerializer(serializers.Serializer):
        question = serializers.IntegerField(source="question_id")
        seq = serializers.IntegerField(source="answer_seq")
        answer = serializers.JSONField(allow_null=True)
        answered_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            409: OpenApiResponse(description="Submitted, or past the deadline"),
        },
        operation_id="assessments_response_save",
    )
    def put(self, request, attempt_id: int, question_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        response = response_save(
            attempt=Attempt(pk=attempt_id),
            student=request.user,
            question_id=question_id,
            answer=data.validated_data["answer"],
            seq=data.validated_data["seq"],
        )
        return Response(self.OutputSerializer(response).data)


class AttemptSubmitApi(APIView):
    """Grade and close the attempt. Idempotent: submitting again returns the same result."""

    @extend_schema(request=None, responses=ResultSerializer, operation_id="assessments_submit")
    def post(self, request, attempt_id: int):
        attempt = attempt_submit(attempt=Attempt(pk=attempt_id), student=request.user)
        return Response(ResultSerializer(attempt_review(attempt=attempt)).data)


class AttemptResultApi(APIView):
    @extend_schema(responses=ResultSerializer, operation_id="assessments_attempt_result")
    def get(self, request, attempt_id: int):
        attempt = get_object_or_404(
            attempt_list_for_student(user=request.user).filter(status=AttemptStatus.SUBMITTED),
            pk=attempt_id,
        )
        return Response(ResultSerializer(attempt_review(attempt=attempt)).data)
