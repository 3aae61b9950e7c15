"""REST endpoints for school admins: enrollments, classroom enrollment, CSV imports."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.exports import enrollments_csv_response
from courses.models import Course, EnrollmentSource, ImportJob
from courses.selectors import course_list_editable, enrollment_export_list, roster_for_course
from courses.services.enrollment import (
    classroom_enroll,
    classroom_unenroll,
    enrollment_create,
    enrollment_drop,
)
from courses.services.imports import import_job_create, import_job_start
from lms.models import Classroom, Role, School, User
from lms.selectors import scope_to_user_schools


def _administered(queryset, request, *, school_field: str = "school"):
    """The rows of `queryset` in the schools the user administers (any other id is a 404)."""
    return scope_to_user_schools(
        queryset, user=request.user, roles=(Role.ADMIN,), school_field=school_field
    )


def _admin_school(request, school_id: int) -> School:
    return get_object_or_404(
        _administered(School.objects.all(), request, school_field="pk"), pk=school_id
    )


def _admin_course(request, course_id: int) -> Course:
    return get_object_or_404(
        _administered(Course.objects.select_related("school"), request), pk=course_id
    )


@extend_schema_serializer(component_name="RosterEntry")
class EnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    student = serializers.IntegerField(source="student_id")
    username = serializers.CharField(source="student.username")
    name = serializers.CharField(source="student.name")
    status = serializers.CharField()
    source = serializers.CharField()
    completed_count = serializers.IntegerField()


class CourseEnrollmentsApi(APIView):
    """A course's roster (its teachers and admins); admins enroll a student (POST)."""

    @extend_schema_serializer(component_name="EnrollStudentRequest")
    class InputSerializer(serializers.Serializer):
        student = serializers.IntegerField(min_value=1, max_value=2**63 - 1)

    @extend_schema(responses=EnrollmentSerializer(many=True), operation_id="courses_roster")
    def get(self, request, course_id: int):
        course = get_object_or_404(course_list_editable(user=request.user), pk=course_id)
        return Response(EnrollmentSerializer(roster_for_course(course=course), many=True).data)

    @extend_schema(
        request=InputSerializer, responses={201: None}, operation_id="courses_enroll_student"
    )
    def post(self, request, course_id: int):
        course = _admin_course(request, course_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        student = get_object_or_404(
            User.objects.filter(memberships__school=course.school).distinct(),
            pk=serializer.validated_data["student"],
        )
        enrollment = enrollment_create(
            student=student, course=course, source=EnrollmentSource.ADMIN
        )
        return Response(
            {"id": enrollment.pk, "status": enrollment.status}, status=status.HTTP_201_CREATED
        )


class EnrollmentDropApi(APIView):
    @extend_schema(request=None, responses={200: None}, operation_id="courses_enrollment_drop")
    def post(self, request, course_id: int, enrollment_id: int):
        course = _admin_course(request, course_id)
        enrollment = get_object_or_404(course.enrollments, pk=enrollment_id)
        enrollment_drop(enrollment=enrollment)
        return Response({"id": enrollment.pk, "status": enrollment.status})


class ClassroomEnrollmentApi(APIView):
    """Enroll a classroom (and whoever joins it later) in a course, or stop doing so."""

    @extend_schema_serializer(component_name="ClassroomEnrollRequest")
    class InputSerializer(serializers.Serializer):
        classroom = serializers.IntegerField(min_value=1, max_value=2**63 - 1)

    def _classroom(self, request, course):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return get_object_or_404(
            Classroom.objects.filter(school=course.school),
            pk=serializer.validated_data["classroom"],
        )

    @extend_schema(
        request=InputSerializer, responses={200: None}, operation_id="courses_classroom_enroll"
    )
    def post(self, request, course_id: int):
        course = _admin_course(request, course_id)
        enrolled = classroom_enroll(classroom=self._classroom(request, course), course=course)
        return Response({"newly_enrolled": enrolled})

    @extend_schema(
        request=InputSerializer, responses={204: None}, operation_id="courses_classroom_unenroll"
    )
    def delete(self, request, course_id: int):
        course = _admin_course(request, course_id)
        classroom_unenroll(classroom=self._classroom(request, course), course=course)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_serializer(component_name="ImportJob")
class ImportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    dry_run = serializers.BooleanField()
    status = serializers.CharField()
    total_rows = serializers.IntegerField()
    processed_rows = serializers.IntegerField()
    report = serializers.JSONField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class ImportJobCreateApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema_serializer(component_name="ImportRequest")
    class InputSerializer(serializers.Serializer):
        school = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
        file = serializers.FileField()
        dry_run = serializers.BooleanField(default=True)

    @extend_schema(
        request=InputSerializer,
        responses={202: ImportJobSerializer},
        operation_id="courses_import_create",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        school = _admin_school(request, data["school"])
        job = import_job_create(
            school=school,
            created_by=request.user,
            uploaded_file=data["file"],
            dry_run=data["dry_run"],
        )
        job = import_job_start(job=job)
        job.refresh_from_db()
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportJobDetailApi(APIView):
    @extend_schema(responses=ImportJobSerializer, operation_id="courses_import_detail")
    def get(self, request, job_id: int):
        job = get_object_or_404(_administered(ImportJob.objects.all(), request), pk=job_id)
        return Response(ImportJobSerializer(job).data)


class EnrollmentExportApi(APIView):
    """Enrollments and progress of one of the user's schools as CSV (its admins only)."""

    class FilterSerializer(serializers.Serializer):
        school = serializers.IntegerField(min_value=1, max_value=2**63 - 1)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={(200, "text/csv"): OpenApiTypes.STR},
        operation_id="courses_enrollments_export",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        school = _admin_school(request, filters.validated_data["school"])
        rows = enrollment_export_list(school=school)
        stamp = timezone.localdate().isoformat()
        return enrollments_csv_response(f"enrollments-{school.slug}-{stamp}.csv", rows)
