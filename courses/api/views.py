from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.models import Level
from courses.selectors import (
    catalog_course_list,
    course_cards,
    course_list_visible,
    course_outline,
    enrollment_list_for_student,
    lesson_access,
    lesson_blocks,
    lesson_list_visible,
    program_is_enrolled,
    program_list_for_catalog,
    program_list_visible,
    program_progress,
)
from courses.services.enrollment import enrollment_self_enroll, program_enroll
from courses.services.progress import (
    MAX_SECONDS_PER_UPDATE,
    MAX_VIDEO_POSITION_SECONDS,
    lesson_complete,
    lesson_progress_record,
)
from lms.api.pagination import paginated_response
from lms.selectors import school_list_for_user


@extend_schema_serializer(component_name="CourseSummary")
class CourseSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    school_id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    subject = serializers.CharField()
    level = serializers.CharField()
    description = serializers.CharField()
    is_published = serializers.BooleanField()
    allows_self_enrollment = serializers.BooleanField()
    lesson_count = serializers.IntegerField()
    is_enrolled = serializers.BooleanField()
    tags = serializers.SerializerMethodField()

    def get_tags(self, course) -> list[str]:
        return [tag.name for tag in course.tags.all()]


class CourseListApi(APIView):
    """The published courses of one of the user's schools, searched and filtered."""

    class FilterSerializer(serializers.Serializer):
        school = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
        q = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
        subject = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")
        level = serializers.ChoiceField(
            choices=Level.choices, required=False, allow_blank=True, default=""
        )
        tag = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")

    @extend_schema(
        parameters=[FilterSerializer],
        responses=CourseSummarySerializer(many=True),
        operation_id="courses_catalog",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        school = get_object_or_404(school_list_for_user(user=request.user), pk=data["school"])
        courses = catalog_course_list(
            user=request.user,
            school=school,
            query=data["q"],
            subject=data["subject"],
            level=data["level"],
            tag=data["tag"],
        )
        return paginated_response(
            request=request, view=self, queryset=courses, serializer_class=CourseSummarySerializer
        )


@extend_schema_serializer(component_name="OutlineLesson")
class OutlineLessonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="lesson.pk")
    title = serializers.CharField(source="lesson.title")
    estimated_minutes = serializers.IntegerField(source="lesson.estimated_minutes")
    completed = serializers.BooleanField()
    locked = serializers.BooleanField()
    locked_by = serializers.SerializerMethodField()
    knowledge_points = serializers.SerializerMethodField()

    def get_locked_by(self, entry) -> list[int]:
        return [lesson.pk for lesson in entry.locked_by]

    def get_knowledge_points(self, entry) -> list[str]:
        return list(entry.lesson.knowledge_points)


@extend_schema_serializer(component_name="OutlineModule")
class OutlineModuleSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="module.pk")
    title = serializers.CharField(source="module.title")
    lessons = OutlineLessonSerializer(many=True)


class CourseDetailApi(APIView):
    @extend_schema_serializer(component_name="CourseOutline")
    class OutputSerializer(serializers.Serializer):
        course = CourseSummarySerializer()
        enrollment_status = serializers.SerializerMethodField()
        lesson_count = serializers.IntegerField()
        completed_count = serializers.IntegerField()
        percent = serializers.IntegerField()
        modules = OutlineModuleSerializer(many=True)

        def get_enrollment_status(self, outline) -> str | None:
            return outline.enrollment.status if outline.enrollment else None

    @extend_schema(responses=OutputSerializer, operation_id="courses_detail")
    def get(self, request, course_id: int):
        visible = course_cards(course_list_visible(user=request.user), user=request.user)
        course = get_object_or_404(visible, pk=course_id)
        outline = course_outline(course=course, user=request.user)
        return Response(self.OutputSerializer(outline).data)


class CourseEnrollApi(APIView):
    @extend_schema(request=None, responses={201: None}, operation_id="courses_enroll")
    def post(self, request, course_id: int):
        course = get_object_or_404(course_list_visible(user=request.user), pk=course_id)
        enrollment = enrollment_self_enroll(student=request.user, course=course)
        return Response({"status": enrollment.status}, status=status.HTTP_201_CREATED)


class MyEnrollmentListApi(APIView):
    @extend_schema_serializer(component_name="MyEnrollment")
    class OutputSerializer(serializers.Serializer):
        course_id = serializers.IntegerField()
        course_title = serializers.CharField(source="course.title")
        status = serializers.CharField()
        source = serializers.CharField()
        lesson_count = serializers.IntegerField()
        completed_count = serializers.IntegerField()

    @extend_schema(responses=OutputSerializer(many=True), operation_id="courses_my_enrollments")
    def get(self, request):
        return paginated_response(
            request=request,
            view=self,
            queryset=enrollment_list_for_student(user=request.user),
            serializer_class=self.OutputSerializer,
        )


class LessonDetailApi(APIView):
    @extend_schema_serializer(component_name="LessonDetail")
    class OutputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="LessonBlock")
        class BlockSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            kind = serializers.CharField()
            title = serializers.CharField()
            body = serializers.CharField()
            html = serializers.CharField(source="body_html")
            language = serializers.CharField()
            url = serializers.SerializerMethodField()
            captions_url = serializers.SerializerMethodField()
            alt_text = serializers.CharField()

            def get_url(self, block) -> str:
                return reverse("courses:block_file", args=[block.pk]) if block.file else block.url

            def get_captions_url(self, block) -> str:
                return reverse("courses:block_captions", args=[block.pk]) if block.captions else ""

        id = serializers.IntegerField()
        title = serializers.CharField()
        course_id = serializers.IntegerField(source="module.course_id")
        module_id = serializers.IntegerField()
        estimated_minutes = serializers.IntegerField()
        blocks = serializers.SerializerMethodField()

        def get_blocks(self, lesson) -> list[dict]:
            return type(self).BlockSerializer(self.context["blocks"], many=True).data

    @extend_schema(responses=OutputSerializer, operation_id="courses_lesson_detail")
    def get(self, request, lesson_id: int):
        lesson = get_object_or_404(lesson_list_visible(user=request.user), pk=lesson_id)
        access = lesson_access(user=request.user, lesson=lesson)
        if not access.may_open:
            raise PermissionDenied("Enroll in the course to open its lessons.")
        if not access.may_see_content:
            raise PermissionDenied("This lesson is locked until its prerequisites are completed.")
        return Response(
            self.OutputSerializer(lesson, context={"blocks": lesson_blocks(lesson=lesson)}).data
        )


class LessonProgressApi(APIView):
    @extend_schema_serializer(component_name="LessonProgressRequest")
    class InputSerializer(serializers.Serializer):
        seconds_spent = serializers.IntegerField(
            min_value=0, max_value=MAX_SECONDS_PER_UPDATE, default=0
        )
        video_position = serializers.FloatField(
            min_value=0, max_value=MAX_VIDEO_POSITION_SECONDS, required=False
        )

    @extend_schema_serializer(component_name="LessonProgress")
    class OutputSerializer(serializers.Serializer):
        lesson_id = serializers.IntegerField()
        time_spent_seconds = serializers.IntegerField()
        video_position_seconds = serializers.FloatField()
        completed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(
        request=InputSerializer, responses=OutputSerializer, operation_id="courses_lesson_progress"
    )
    def post(self, request, lesson_id: int):
        lesson = get_object_or_404(lesson_list_visible(user=request.user), pk=lesson_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        progress = lesson_progress_record(
            student=request.user, lesson=lesson, **serializer.validated_data
        )
        return Response(self.OutputSerializer(progress).data)


class LessonCompleteApi(APIView):
    @extend_schema(
        request=None,
        responses=LessonProgressApi.OutputSerializer,
        operation_id="courses_lesson_complete",
    )
    def post(self, request, lesson_id: int):
        lesson = get_object_or_404(lesson_list_visible(user=request.user), pk=lesson_id)
        progress = lesson_complete(student=request.user, lesson=lesson)
        return Response(LessonProgressApi.OutputSerializer(progress).data)


@extend_schema_serializer(component_name="ProgramStep")
class ProgramStepSerializer(serializers.Serializer):
    course_id = serializers.IntegerField(source="step.course_id")
    course_title = serializers.CharField(source="step.course.title")
    delivery_mode = serializers.CharField(source="step.delivery_mode")
    expected_weeks = serializers.IntegerField(source="step.expected_weeks")
    status = serializers.CharField(allow_null=True)
    percent = serializers.IntegerField()


class ProgramListApi(APIView):
    """The published programs of one of the user's schools."""

    @extend_schema_serializer(component_name="ProgramSummary")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        title = serializers.CharField()
        goal = serializers.CharField()
        audience = serializers.CharField()
        level = serializers.CharField()
        course_ids = serializers.SerializerMethodField()

        def get_course_ids(self, program) -> list[int]:
            return [step.course_id for step in program.steps.all()]

    class FilterSerializer(serializers.Serializer):
        school = serializers.IntegerField(min_value=1, max_value=2**63 - 1)

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
        operation_id="courses_program_list",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        school = get_object_or_404(
            school_list_for_user(user=request.user), pk=filters.validated_data["school"]
        )
        programs = program_list_for_catalog(user=request.user, school=school)
        return Response(self.OutputSerializer(programs, many=True).data)


class ProgramDetailApi(APIView):
    @extend_schema_serializer(component_name="ProgramProgress")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="program.pk")
        title = serializers.CharField(source="program.title")
        enrolled = serializers.BooleanField()
        steps = ProgramStepSerializer(many=True)

    @extend_schema(responses=OutputSerializer, operation_id="courses_program_detail")
    def get(self, request, program_id: int):
        program = get_object_or_404(program_list_visible(user=request.user), pk=program_id)
        data = {
            "program": program,
            "enrolled": program_is_enrolled(program=program, user=request.user),
            "steps": program_progress(program=program, user=request.user),
        }
        return Response(self.OutputSerializer(data).data)


class ProgramEnrollApi(APIView):
    @extend_schema(request=None, responses={201: None}, operation_id="courses_program_enroll")
    def post(self, request, program_id: int):
        program = get_object_or_404(program_list_visible(user=request.user), pk=program_id)
        enrollment = program_enroll(student=request.user, program=program)
        return Response({"status": enrollment.status}, status=status.HTTP_201_CREATED)
