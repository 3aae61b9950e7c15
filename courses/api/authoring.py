"""REST endpoints for a course's teachers and its school's admins: build and change courses."""

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.models import BlockKind, ContentBlock, Course, KnowledgePoint, Lesson, Level, Module
from courses.selectors import (
    block_list_editable,
    course_list_editable,
    knowledge_point_list,
    knowledge_point_list_editable,
    lesson_list_editable,
    module_list_editable,
    module_list_with_content,
    school_teacher_list,
)
from courses.services import authoring
from lms.api.parsers import SafeJSONParser
from lms.models import Role, User
from lms.selectors import school_list_for_user, user_has_school_role

MAX_ID = 2**63 - 1  # the largest primary key; larger numbers are refused, not overflowed


def editable_courses(request) -> QuerySet[Course]:
    return course_list_editable(user=request.user).select_related("school")


def editable_lesson(request, lesson_id: int) -> Lesson:
    return get_object_or_404(lesson_list_editable(user=request.user), pk=lesson_id)


def editable_module(request, module_id: int) -> Module:
    return get_object_or_404(module_list_editable(user=request.user), pk=module_id)


def editable_block(request, block_id: int) -> ContentBlock:
    return get_object_or_404(block_list_editable(user=request.user), pk=block_id)


def editable_knowledge_point(request, kp_id: int) -> KnowledgePoint:
    return get_object_or_404(knowledge_point_list_editable(user=request.user), pk=kp_id)


@extend_schema_serializer(component_name="OrderRequest")
class OrderSerializer(serializers.Serializer):
    order = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=1000
    )


class _OrderApi(APIView):
    """PUT the new order of an ordered set (every id exactly once): subclasses say which set."""

    def items(self, request, pk: int) -> QuerySet:
        raise NotImplementedError

    def put(self, request, pk: int):
        serializer = OrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        authoring.reorder(items=self.items(request, pk), order=serializer.validated_data["order"])
        return Response(status=status.HTTP_204_NO_CONTENT)


def _order_schema(operation_id: str):
    return extend_schema_view(
        put=extend_schema(request=OrderSerializer, responses={204: None}, operation_id=operation_id)
    )


@_order_schema("courses_manage_module_order")
class ModuleOrderApi(_OrderApi):
    def items(self, request, pk):
        return get_object_or_404(editable_courses(request), pk=pk).modules.all()


@_order_schema("courses_manage_lesson_order")
class LessonOrderApi(_OrderApi):
    def items(self, request, pk):
        return editable_module(request, pk).lessons.all()


@_order_schema("courses_manage_block_order")
class BlockOrderApi(_OrderApi):
    def items(self, request, pk):
        return editable_lesson(request, pk).blocks.all()


@extend_schema_serializer(component_name="ManagedCourse")
class CourseSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    school = serializers.IntegerField(source="school_id", min_value=1)
    code = serializers.CharField(max_length=32)
    title = serializers.CharField(max_length=200)
    subject = serializers.CharField(max_length=80)
    level = serializers.ChoiceField(choices=Level.choices)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=20_000, default=""
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        max_length=30,
        default=list,
        write_only=True,
    )
    teachers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=50,
        write_only=True,
    )
    is_published = serializers.BooleanField(read_only=True)
    allows_self_enrollment = serializers.BooleanField(required=False, default=True)
    starts_on = serializers.DateField(required=False, allow_null=True, default=None)
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)

    def to_representation(self, course):
        data = super().to_representation(course)
        data["tags"] = [tag.name for tag in course.tags.all()]
        data["teachers"] = [teacher.pk for teacher in course.teachers.all()]
        return data


def _teachers(school, ids: list[int]) -> list[User]:
    """The school's teachers with these ids; any other id is refused without naming anyone."""
    teachers = list(school_teacher_list(school=school).filter(pk__in=ids))
    if len(teachers) != len(set(ids)):
        raise serializers.ValidationError({"teachers": ["Not a teacher of this school."]})
    return teachers


class ManagedCourseListApi(APIView):
    """Courses the user may change (GET), or a new course in one of their schools (POST)."""

    @extend_schema(responses=CourseSerializer(many=True), operation_id="courses_manage_list")
    def get(self, request):
        courses = editable_courses(request).prefetch_related("tags", "teachers").order_by("title")
        return Response(CourseSerializer(courses, many=True).data)

    @extend_schema(
        request=CourseSerializer,
        responses={201: CourseSerializer},
        operation_id="courses_manage_create",
    )
    def post(self, request):
        serializer = CourseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        school = get_object_or_404(
            school_list_for_user(user=request.user), pk=data.pop("school_id")
        )
        if not user_has_school_role(
            user=request.user, school=school, roles=(Role.TEACHER, Role.ADMIN)
        ):
            raise NotFound()
        teachers = _teachers(school, data.pop("teachers", []))
        course = authoring.course_create(
            school=school, teachers=teachers, created_by=request.user, **data
        )
        return Response(CourseSerializer(course).data, status=status.HTTP_201_CREATED)


class ManagedCourseDetailApi(APIView):
    @extend_schema(responses=CourseSerializer, operation_id="courses_manage_detail")
    def get(self, request, course_id: int):
        return Response(
            CourseSerializer(get_object_or_404(editable_courses(request), pk=course_id)).data
        )

    @extend_schema(
        request=CourseSerializer, responses=CourseSerializer, operation_id="courses_manage_update"
    )
    def patch(self, request, course_id: int):
        course = get_object_or_404(editable_courses(request), pk=course_id)
        serializer = CourseSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("school_id", None)
        teachers = _teachers(course.school, data.pop("teachers")) if "teachers" in data else None
        tags = data.pop("tags", None)
        authoring.course_update(course=course, teachers=teachers, tags=tags, **data)
        return Response(CourseSerializer(course).data)

    @extend_schema(responses={204: None}, operation_id="courses_manage_delete")
    def delete(self, request, course_id: int):
        course = get_object_or_404(editable_courses(request), pk=course_id)
        authoring.course_delete(course=course)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CourseDuplicateApi(APIView):
    @extend_schema_serializer(component_name="CourseCopyRequest")
    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=32)
        title = serializers.CharField(max_length=200)

    @extend_schema(
        request=InputSerializer,
        responses={201: CourseSerializer},
        operation_id="courses_manage_duplicate",
    )
    def post(self, request, course_id: int):
        course = get_object_or_404(editable_courses(request), pk=course_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        copy = authoring.course_duplicate(course=course, **serializer.validated_data)
        return Response(CourseSerializer(copy).data, status=status.HTTP_201_CREATED)


class CoursePublishApi(APIView):
    @extend_schema_serializer(component_name="CoursePublishRequest")
    class InputSerializer(serializers.Serializer):
        published = serializers.BooleanField()

    @extend_schema(
        request=InputSerializer, responses=CourseSerializer, operation_id="courses_manage_publish"
    )
    def post(self, request, course_id: int):
        course = get_object_or_404(editable_courses(request), pk=course_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        authoring.course_set_published(
            course=course, published=serializer.validated_data["published"]
        )
        return Response(CourseSerializer(course).data)


@extend_schema_serializer(component_name="ManagedBlock")
class BlockSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=BlockKind.choices)
    position = serializers.IntegerField(read_only=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    body = serializers.CharField(
        max_length=100_000, required=False, allow_blank=True, default="", trim_whitespace=False
    )
    language = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False, allow_null=True, default=None, max_length=255)
    captions = serializers.FileField(required=False, allow_null=True, default=None, max_length=255)
    alt_text = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="ManagedLesson")
class LessonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    module = serializers.IntegerField(source="module_id", read_only=True)
    title = serializers.CharField(max_length=200)
    position = serializers.IntegerField(read_only=True)
    estimated_minutes = serializers.IntegerField(min_value=1, max_value=600, default=10)
    knowledge_points = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=100,
        write_only=True,
    )
    prerequisites = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=100,
        write_only=True,
    )
    blocks = BlockSerializer(many=True, read_only=True)

    def to_representation(self, lesson):
        data = super().to_representation(lesson)
        data["knowledge_points"] = [kp.pk for kp in lesson.knowledge_points.all()]
        data["prerequisites"] = [other.pk for other in lesson.prerequisites.all()]
        return data


@extend_schema_serializer(component_name="ManagedModule")
class ModuleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )
    position = serializers.IntegerField(read_only=True)
    lessons = LessonSerializer(many=True, read_only=True)


class CourseContentApi(APIView):
    """The modules, lessons and blocks of a course (GET); a new module (POST)."""

    @extend_schema(responses=ModuleSerializer(many=True), operation_id="courses_manage_modules")
    def get(self, request, course_id: int):
        course = get_object_or_404(editable_courses(request), pk=course_id)
        modules = module_list_with_content(course=course)
        return Response(ModuleSerializer(modules, many=True).data)

    @extend_schema(
        request=ModuleSerializer,
        responses={201: ModuleSerializer},
        operation_id="courses_manage_module_create",
    )
    def post(self, request, course_id: int):
        course = get_object_or_404(editable_courses(request), pk=course_id)
        serializer = ModuleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        module = authoring.module_create(course=course, **serializer.validated_data)
        return Response(ModuleSerializer(module).data, status=status.HTTP_201_CREATED)


class ModuleDetailApi(APIView):
    @extend_schema(
        request=ModuleSerializer,
        responses=ModuleSerializer,
        operation_id="courses_manage_module_update",
    )
    def patch(self, request, module_id: int):
        module = editable_module(request, module_id)
        serializer = ModuleSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {
            "title": module.title,
            "description": module.description,
            **serializer.validated_data,
        }
        authoring.module_update(module=module, **data)
        return Response(ModuleSerializer(module).data)

    @extend_schema(responses={204: None}, operation_id="courses_manage_module_delete")
    def delete(self, request, module_id: int):
        authoring.module_delete(module=editable_module(request, module_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _course_objects(model, course: Course, ids: list[int] | None, field: str):
    """The course's own rows with these ids (None when the field was not sent)."""
    if ids is None:
        return None
    own = {"knowledge_points": {"course": course}, "prerequisites": {"module__course": course}}
    found = list(model.objects.filter(pk__in=ids, **own[field]))
    if len(found) != len(set(ids)):
        raise serializers.ValidationError({field: ["Unknown id, or not of this course."]})
    return found


class ModuleDuplicateApi(APIView):
    @extend_schema(
        request=None,
        responses={201: ModuleSerializer},
        operation_id="courses_manage_module_duplicate",
    )
    def post(self, request, module_id: int):
        copy = authoring.module_duplicate(module=editable_module(request, module_id))
        return Response(ModuleSerializer(copy).data, status=status.HTTP_201_CREATED)


class ModuleLessonsApi(APIView):
    @extend_schema(
        request=LessonSerializer,
        responses={201: LessonSerializer},
        operation_id="courses_manage_lesson_create",
    )
    @transaction.atomic  # the lesson, its tags and its gates, or nothing
    def post(self, request, module_id: int):
        module = editable_module(request, module_id)
        serializer = LessonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        points = _course_objects(
            KnowledgePoint, module.course, data.pop("knowledge_points", None), "knowledge_points"
        )
        prerequisites = _course_objects(
            Lesson, module.course, data.pop("prerequisites", None), "prerequisites"
        )
        lesson = authoring.lesson_create(module=module, knowledge_points=points or (), **data)
        if prerequisites:
            authoring.lesson_set_prerequisites(lesson=lesson, prerequisites=prerequisites)
        return Response(LessonSerializer(lesson).data, status=status.HTTP_201_CREATED)


class LessonManageApi(APIView):
    @extend_schema(responses=LessonSerializer, operation_id="courses_manage_lesson_detail")
    def get(self, request, lesson_id: int):
        return Response(LessonSerializer(editable_lesson(request, lesson_id)).data)

    @extend_schema(
        request=LessonSerializer,
        responses=LessonSerializer,
        operation_id="courses_manage_lesson_update",
    )
    @transaction.atomic
    def patch(self, request, lesson_id: int):
        lesson = editable_lesson(request, lesson_id)
        serializer = LessonSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        course = lesson.module.course
        points = _course_objects(
            KnowledgePoint, course, data.pop("knowledge_points", None), "knowledge_points"
        )
        prerequisites = _course_objects(
            Lesson, course, data.pop("prerequisites", None), "prerequisites"
        )
        authoring.lesson_update(
            lesson=lesson,
            title=data.get("title", lesson.title),
            estimated_minutes=data.get("estimated_minutes", lesson.estimated_minutes),
        )
        if points is not None:
            authoring.lesson_set_knowledge_points(lesson=lesson, knowledge_points=points)
        if prerequisites is not None:
            authoring.lesson_set_prerequisites(lesson=lesson, prerequisites=prerequisites)
        return Response(LessonSerializer(lesson).data)

    @extend_schema(responses={204: None}, operation_id="courses_manage_lesson_delete")
    def delete(self, request, lesson_id: int):
        authoring.lesson_delete(lesson=editable_lesson(request, lesson_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LessonDuplicateApi(APIView):
    @extend_schema(
        request=None,
        responses={201: LessonSerializer},
        operation_id="courses_manage_lesson_duplicate",
    )
    def post(self, request, lesson_id: int):
        copy = authoring.lesson_duplicate(lesson=editable_lesson(request, lesson_id))
        return Response(LessonSerializer(copy).data, status=status.HTTP_201_CREATED)


class LessonBlocksApi(APIView):
    parser_classes = [SafeJSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request=BlockSerializer,
        responses={201: BlockSerializer},
        operation_id="courses_manage_block_create",
    )
    def post(self, request, lesson_id: int):
        lesson = editable_lesson(request, lesson_id)
        serializer = BlockSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        block = authoring.block_create(lesson=lesson, **serializer.validated_data)
        return Response(BlockSerializer(block).data, status=status.HTTP_201_CREATED)


class BlockManageApi(APIView):
    parser_classes = [SafeJSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request=BlockSerializer,
        responses=BlockSerializer,
        operation_id="courses_manage_block_update",
    )
    def patch(self, request, block_id: int):
        block = editable_block(request, block_id)
        serializer = BlockSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "kind"}
        authoring.block_update(block=block, **data)
        return Response(BlockSerializer(block).data)

    @extend_schema(responses={204: None}, operation_id="courses_manage_block_delete")
    def delete(self, request, block_id: int):
        authoring.block_delete(block=editable_block(request, block_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_serializer(component_name="ManagedKnowledgePoint")
class KnowledgePointSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    course = serializers.IntegerField(source="course_id", read_only=True)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )
    prerequisites = serializers.SerializerMethodField()

    def get_prerequisites(self, kp) -> list[int]:
        return [other.pk for other in kp.prerequisites.all()]


class KnowledgePointListApi(APIView):
    @extend_schema(
        responses=KnowledgePointSerializer(many=True), operation_id="courses_manage_kp_list"
    )
    def get(self, request, course_id: int):
        course = get_object_or_404(editable_courses(request), pk=course_id)
        return Response(
            KnowledgePointSerializer(knowledge_point_list(course=course), many=True).data
        )

    @extend_schema(
        request=KnowledgePointSerializer,
        responses={201: KnowledgePointSerializer},
        operation_id="courses_manage_kp_create",
    )
    def post(self, request, course_id: int):
        course = get_object_or_404(editable_courses(request), pk=course_id)
        serializer = KnowledgePointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kp = authoring.knowledge_point_create(course=course, **serializer.validated_data)
        return Response(KnowledgePointSerializer(kp).data, status=status.HTTP_201_CREATED)


class KnowledgePointDetailApi(APIView):
    @extend_schema(
        request=KnowledgePointSerializer,
        responses=KnowledgePointSerializer,
        operation_id="courses_manage_kp_update",
    )
    def patch(self, request, kp_id: int):
        kp = editable_knowledge_point(request, kp_id)
        serializer = KnowledgePointSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {"name": kp.name, "description": kp.description, **serializer.validated_data}
        authoring.knowledge_point_update(knowledge_point=kp, **data)
        return Response(KnowledgePointSerializer(kp).data)

    @extend_schema(responses={204: None}, operation_id="courses_manage_kp_delete")
    def delete(self, request, kp_id: int):
        authoring.knowledge_point_delete(knowledge_point=editable_knowledge_point(request, kp_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class KnowledgePointPrerequisiteApi(APIView):
    """Add (POST) or remove (DELETE) "this knowledge point requires that one"."""

    @extend_schema_serializer(component_name="PrerequisiteRequest")
    class InputSerializer(serializers.Serializer):
        prerequisite = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def _pair(self, request, kp_id: int):
        kp = editable_knowledge_point(request, kp_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prerequisite = get_object_or_404(
            KnowledgePoint.objects.filter(course__school=kp.course.school),
            pk=serializer.validated_data["prerequisite"],
        )
        return kp, prerequisite

    @extend_schema(
        request=InputSerializer,
        responses=KnowledgePointSerializer,
        operation_id="courses_manage_kp_prerequisite_add",
    )
    def post(self, request, kp_id: int):
        kp, prerequisite = self._pair(request, kp_id)
        authoring.knowledge_point_add_prerequisite(knowledge_point=kp, prerequisite=prerequisite)
        return Response(KnowledgePointSerializer(kp).data)

    @extend_schema(
        request=InputSerializer,
        responses=KnowledgePointSerializer,
        operation_id="courses_manage_kp_prerequisite_remove",
    )
    def delete(self, request, kp_id: int):
        kp, prerequisite = self._pair(request, kp_id)
        authoring.knowledge_point_remove_prerequisite(knowledge_point=kp, prerequisite=prerequisite)
        return Response(KnowledgePointSerializer(kp).data)
