"""The study plan over the API: the learner's own, and a teacher's view of a student's."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.models import User
from personalization.models import ItemStatus
from personalization.selectors import (
    lesson_list_for_plan_step,
    plan_for_student,
    plan_item_list_for_student,
    plan_item_list_for_teacher,
    plan_steps,
    student_list_taught,
)
from personalization.services.items import (
    TEACHER_ACTIONS,
    plan_item_add,
    plan_item_set_status,
    plan_item_teacher_action,
)


@extend_schema_serializer(component_name="PlanStep")
class StepSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.pk")
    key = serializers.CharField(source="item.key")
    kind = serializers.CharField(source="item.kind")
    status = serializers.CharField(source="item.status")
    position = serializers.IntegerField(source="item.position")
    title = serializers.CharField()
    url = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    reason_code = serializers.CharField(source="item.reason_code")
    reason_args = serializers.JSONField(source="item.reason_args")
    estimated_minutes = serializers.IntegerField(source="item.estimated_minutes")
    within_budget = serializers.BooleanField(source="item.within_budget")
    pinned = serializers.BooleanField(source="item.pinned")
    knowledge_point = serializers.IntegerField(source="item.knowledge_point_id", allow_null=True)
    lesson = serializers.IntegerField(source="item.lesson_id", allow_null=True)
    course = serializers.IntegerField(source="item.course_id", allow_null=True)
    assessment = serializers.IntegerField(source="item.assessment_id", allow_null=True)


@extend_schema_serializer(component_name="StudyPlan")
class PlanSerializer(serializers.Serializer):
    student = serializers.IntegerField()
    revision = serializers.IntegerField()
    built_at = serializers.DateTimeField(allow_null=True)
    trigger = serializers.JSONField()
    steps = StepSerializer(many=True)


def _plan_data(student: User, viewer: User) -> dict:
    plan = plan_for_student(student=student)
    return {
        "student": student.pk,
        "revision": plan.revision if plan else 0,
        "built_at": plan.built_at if plan else None,
        "trigger": plan.trigger if plan else {},
        "steps": plan_steps(plan=plan, viewer=viewer) if plan else [],
    }


def _step(item, viewer: User):
    return next(s for s in plan_steps(plan=item.plan, viewer=viewer) if s.item.pk == item.pk)


class PlanDetailApi(APIView):
    """The signed-in learner's plan, steps in order with their reasons."""

    @extend_schema(responses=PlanSerializer, operation_id="personalization_plan")
    def get(self, request):
        return Response(PlanSerializer(_plan_data(request.user, request.user)).data)


class PlanStepStatusApi(APIView):
    """Mark one of your steps done, dismiss it, or take it back (`open`)."""

    @extend_schema_serializer(component_name="PlanStepStatusRequest")
    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[ItemStatus.OPEN, ItemStatus.DONE, ItemStatus.DISMISSED]
        )

    @extend_schema(
        request=InputSerializer, responses=StepSerializer, operation_id="personalization_plan_step"
    )
    def patch(self, request, item_id: int):
        item = get_object_or_404(plan_item_list_for_student(student=request.user), pk=item_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan_item_set_status(item=item, status=data.validated_data["status"], student=request.user)
        step = _step(item, request.user)
        return Response(StepSerializer(step).data)


class StudentPlanApi(APIView):
    """A student's plan, for their teachers and school admins."""

    @extend_schema(responses=PlanSerializer, operation_id="personalization_student_plan")
    def get(self, request, student_id: int):
        student = get_object_or_404(student_list_taught(user=request.user), pk=student_id)
        return Response(PlanSerializer(_plan_data(student, request.user)).data)


class StudentPlanStepCreateApi(APIView):
    """Add a step to a student's plan (pinned at the top until done)."""

    @extend_schema_serializer(component_name="PlanStepCreateRequest")
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        lesson = serializers.IntegerField(required=False, allow_null=True, default=None)

    @extend_schema(
        request=InputSerializer,
        responses={201: StepSerializer},
        operation_id="personalization_student_plan_step_create",
    )
    def post(self, request, student_id: int):
        student = get_object_or_404(student_list_taught(user=request.user), pk=student_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = None
        if data.validated_data["lesson"] is not None:
            lessons = lesson_list_for_plan_step(teacher=request.user, student=student)
            lesson = lessons.filter(pk=data.validated_data["lesson"]).first()
            if lesson is None:
                raise serializers.ValidationError(
                    {"lesson": ["Choose a lesson of one of the student's courses."]}
                )
        item = plan_item_add(
            student=student,
            teacher=request.user,
            title=data.validated_data["title"],
            note=data.validated_data["note"],
            lesson=lesson,
        )
        step = _step(item, request.user)
        return Response(StepSerializer(step).data, status=status.HTTP_201_CREATED)


class StudentPlanStepApi(APIView):
    """Pin a student's step to the top, unpin it, remove it, or restore it."""

    @extend_schema_serializer(component_name="PlanStepActionRequest")
    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=TEACHER_ACTIONS)

    @extend_schema(
        request=InputSerializer,
        responses=StepSerializer,
        operation_id="personalization_student_plan_step",
    )
    def patch(self, request, student_id: int, item_id: int):
        student = get_object_or_404(student_list_taught(user=request.user), pk=student_id)
        item = get_object_or_404(
            plan_item_list_for_teacher(teacher=request.user, student=student), pk=item_id
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan_item_teacher_action(
            item=item, action=data.validated_data["action"], teacher=request.user
        )
        step = _step(item, request.user)
        return Response(StepSerializer(step).data)
