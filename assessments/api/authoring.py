"""The question bank and assessment set-up: endpoints for a course's teachers and school admins."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments.exports import questions_gift_response
from assessments.formats.parsers import questions_parse
from assessments.models import (
    AUTHORED_KINDS,
    AssessmentKind,
    GradingMethod,
    Layout,
    QuestionKind,
    ReviewPolicy,
    Selection,
)
from assessments.selectors import (
    assessment_list_editable,
    assessment_list_visible,
    item_analysis,
    question_list_editable,
    question_list_for_bank,
    results_snapshot,
)
from assessments.services.attempts import question_regrade
from assessments.services.authoring import (
    DrawRuleSpec,
    accommodation_set,
    assessment_create,
    assessment_publish,
    assessment_set_draw_rules,
    assessment_set_questions,
    assessment_update,
)
from assessments.services.questions import (
    question_archive,
    question_create,
    question_delete,
    question_import,
    question_update,
)
from courses.models import Lesson
from courses.selectors import course_list_editable
from lms.api.pagination import paginated_response
from lms.exceptions import ApplicationError
from lms.models import Classroom, User

ID = {"min_value": 1, "max_value": 2**63 - 1}
MAX_IMPORT_CHARS = 2_000_000


# --- Questions --------------------------------------------------------------------------------


@extend_schema_serializer(component_name="BankQuestion")
class QuestionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id")
    kind = serializers.CharField()
    title = serializers.CharField()
    difficulty = serializers.IntegerField()
    is_archived = serializers.BooleanField()
    version = serializers.IntegerField(source="current_version.number")
    stem = serializers.CharField(source="current_version.stem")
    stem_html = serializers.CharField(source="current_version.stem_html")
    spec = serializers.JSONField(source="current_version.spec")
    explanation = serializers.CharField(source="current_version.explanation")
    points = serializers.DecimalField(
        source="current_version.points", max_digits=6, decimal_places=2
    )
    tags = serializers.SerializerMethodField()
    knowledge_points = serializers.SerializerMethodField()

    def get_tags(self, question) -> list[str]:
        return [tag.name for tag in question.tags.all()]

    def get_knowledge_points(self, question) -> list[int]:
        return [point.pk for point in question.knowledge_points.all()]


@extend_schema_serializer(component_name="BankQuestionRequest")
class QuestionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    stem = serializers.CharField(max_length=20_000)
    spec = serializers.JSONField()
    explanation = serializers.CharField(
        max_length=20_000, required=False, allow_blank=True, default=""
    )
    points = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, max_value=1000, default=1
    )
    difficulty = serializers.IntegerField(min_value=1, max_value=5, default=3)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=20, required=False, default=list
    )
    knowledge_points = serializers.ListField(
        child=serializers.IntegerField(**ID), max_length=50, required=False, default=list
    )


def _question_fields(course, data: dict) -> dict:
    points = list(course.knowledge_points.filter(pk__in=data["knowledge_points"]))
    if len(points) != len(set(data["knowledge_points"])):
        raise serializers.ValidationError(
            {"knowledge_points": ["Unknown knowledge point for this course."]}
        )
    return {
        "title": data["title"],
        "stem": data["stem"],
        "spec": data["spec"],
        "explanation": data["explanation"],
        "points": data["points"],
        "difficulty": data["difficulty"],
        "tags": data["tags"],
        "knowledge_points": points,
    }


class QuestionListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        course = serializers.IntegerField(required=False, **ID)

    @extend_schema_serializer(component_name="QuestionListCreateRequest")
    class CreateSerializer(QuestionInputSerializer):
        course = serializers.IntegerField(**ID)

    @extend_schema(
        parameters=[FilterSerializer],
        responses=QuestionOutputSerializer(many=True),
        operation_id="assessments_question_list",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        course = None
        if "course" in filters.validated_data:
            course = get_object_or_404(
                course_list_editable(user=request.user), pk=filters.validated_data["course"]
            )
        return paginated_response(
            request=request,
            view=self,
            queryset=question_list_for_bank(user=request.user, course=course),
            serializer_class=QuestionOutputSerializer,
        )

    @extend_schema(
        request=CreateSerializer,
        responses={201: QuestionOutputSerializer},
        operation_id="assessments_question_create",
    )
    def post(self, request):
        data = self.CreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        course = get_object_or_404(
            course_list_editable(user=request.user), pk=data.validated_data["course"]
        )
        question = question_create(
            course=course,
            kind=data.validated_data["kind"],
            created_by=request.user,
            **_question_fields(course, data.validated_data),
        )
        return Response(QuestionOutputSerializer(question).data, status=status.HTTP_201_CREATED)


class QuestionDetailApi(APIView):
    @extend_schema_serializer(component_name="QuestionDetailUpdateRequest")
    class UpdateSerializer(QuestionInputSerializer):
        kind = None  # a question's type never changes

    def _question(self, request, question_id: int):
        return get_object_or_404(question_list_editable(user=request.user), pk=question_id)

    @extend_schema(responses=QuestionOutputSerializer, operation_id="assessments_question_detail")
    def get(self, request, question_id: int):
        return Response(QuestionOutputSerializer(self._question(request, question_id)).data)

    @extend_schema(
        request=UpdateSerializer,
        responses=QuestionOutputSerializer,
        operation_id="assessments_question_update",
    )
    def put(self, request, question_id: int):
        question = self._question(request, question_id)
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = question_update(
            question=question, **_question_fields(question.course, data.validated_data)
        )
        return Response(QuestionOutputSerializer(question).data)

    @extend_schema(responses={204: None}, operation_id="assessments_question_delete")
    def delete(self, request, question_id: int):
        question_delete(question=self._question(request, question_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class QuestionArchiveApi(APIView):
    @extend_schema_serializer(component_name="QuestionArchiveRequest")
    class InputSerializer(serializers.Serializer):
        archived = serializers.BooleanField()

    @extend_schema(
        request=InputSerializer,
        responses=QuestionOutputSerializer,
        operation_id="assessments_question_archive",
    )
    def post(self, request, question_id: int):
        question = get_object_or_404(question_list_editable(user=request.user), pk=question_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = question_archive(question=question, archived=data.validated_data["archived"])
        return Response(QuestionOutputSerializer(question).data)


class QuestionRegradeApi(APIView):
    """Grade the submitted answers to a corrected question again, in one or all assessments."""

    @extend_schema_serializer(component_name="QuestionRegradeRequest")
    class InputSerializer(serializers.Serializer):
        assessment = serializers.IntegerField(required=False, **ID)

    @extend_schema_serializer(component_name="RegradeResult")
    class OutputSerializer(serializers.Serializer):
        attempts = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(
        request=InputSerializer, responses=OutputSerializer, operation_id="assessments_regrade"
    )
    def post(self, request, question_id: int):
        question = get_object_or_404(question_list_editable(user=request.user), pk=question_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = None
        if "assessment" in data.validated_data:
            assessment = get_object_or_404(
                assessment_list_editable(user=request.user).filter(course=question.course_id),
                pk=data.validated_data["assessment"],
            )
        attempts = question_regrade(question=question, assessment=assessment)
        return Response({"attempts": attempts})


@extend_schema_serializer(component_name="ImportReport")
class ImportReportSerializer(serializers.Serializer):
    @extend_schema_serializer(component_name="ImportPreviewQuestion")
    class PreviewSerializer(serializers.Serializer):
        line = serializers.IntegerField()
        kind = serializers.CharField()
        title = serializers.CharField()
        stem = serializers.CharField()
        category = serializers.CharField()

    @extend_schema_serializer(component_name="ImportProblem")
    class ProblemSerializer(serializers.Serializer):
        line = serializers.IntegerField()
        snippet = serializers.CharField()
        message = serializers.CharField()

    dry_run = serializers.BooleanField()
    questions = PreviewSerializer(many=True)
    problems = ProblemSerializer(many=True)
    created = serializers.ListField(child=serializers.IntegerField())


class QuestionImportApi(APIView):
    """
    Import a GIFT or Aiken file into a course's bank. A dry run only reports; a real run with
    any problem imports nothing (fix the file and run it again).
    """

    @extend_schema_serializer(component_name="QuestionImportRequest")
    class InputSerializer(serializers.Serializer):
        course = serializers.IntegerField(**ID)
        format = serializers.ChoiceField(choices=[("gift", "GIFT"), ("aiken", "Aiken")])
        text = serializers.CharField(max_length=MAX_IMPORT_CHARS, trim_whitespace=False)
        dry_run = serializers.BooleanField(default=True)
        tags = serializers.ListField(
            child=serializers.CharField(max_length=50), max_length=20, required=False, default=list
        )

    @extend_schema(
        request=InputSerializer,
        responses=ImportReportSerializer,
        operation_id="assessments_question_import",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        course = get_object_or_404(course_list_editable(user=request.user), pk=values["course"])
        parsed = questions_parse(format_name=values["format"], text=values["text"])
        created = []
        if not values["dry_run"]:
            if parsed.problems:
                raise ApplicationError(
                    f"The file has {len(parsed.problems)} problem(s); nothing was imported. "
                    "Run a dry run to see them.",
                    code="import_has_problems",
                )
            created = [
                q.pk
                for q in question_import(
                    course=course, parsed=parsed.questions, tags=values["tags"], user=request.user
                )
            ]
        report = {
            "dry_run": values["dry_run"],
            "questions": parsed.questions,
            "problems": parsed.problems,
            "created": created,
        }
        return Response(ImportReportSerializer(report).data)


class QuestionExportApi(APIView):
    class FilterSerializer(serializers.Serializer):
        course = serializers.IntegerField(**ID)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={(200, "text/plain"): str},
        operation_id="assessments_question_export",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        course = get_object_or_404(
            course_list_editable(user=request.user), pk=filters.validated_data["course"]
        )
        return questions_gift_response(
            course=course, questions=question_list_for_bank(user=request.user, course=course)
        )


# --- Assessments ------------------------------------------------------------------------------


@extend_schema_serializer(component_name="AssessmentSettings")
class AssessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    course = serializers.IntegerField(source="course_id", read_only=True)
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=AUTHORED_KINDS)
    instructions = serializers.CharField(
        max_length=20_000, required=False, allow_blank=True, default=""
    )
    instructions_html = serializers.CharField(read_only=True)
    module = serializers.IntegerField(source="module_id", required=False, allow_null=True, **ID)
    lesson = serializers.IntegerField(source="lesson_id", required=False, allow_null=True, **ID)
    is_published = serializers.BooleanField(read_only=True)
    opens_at = serializers.DateTimeField(required=False, allow_null=True)
    closes_at = serializers.DateTimeField(required=False, allow_null=True)
    time_limit_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=24 * 60
    )
    attempts_allowed = serializers.IntegerField(min_value=0, max_value=100, default=1)
    grading_method = serializers.ChoiceField(
        choices=GradingMethod.choices, default=GradingMethod.HIGHEST
    )
    shuffle_questions = serializers.BooleanField(default=False)
    shuffle_choices = serializers.BooleanField(default=False)
    review_policy = serializers.ChoiceField(
        choices=ReviewPolicy.choices, default=ReviewPolicy.IMMEDIATELY
    )
    layout = serializers.ChoiceField(choices=Layout.choices, default=Layout.ONE_PER_PAGE)
    selection = serializers.ChoiceField(choices=Selection.choices, default=Selection.FIXED)


def _settings(course, data: dict) -> dict:
    values = dict(data)
    module_id = values.pop("module_id", None)
    lesson_id = values.pop("lesson_id", None)
    values["module"] = get_object_or_404(course.modules.all(), pk=module_id) if module_id else None
    lessons = Lesson.objects.filter(module__course=course)
    values["lesson"] = get_object_or_404(lessons, pk=lesson_id) if lesson_id else None
    return values


class AssessmentListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        course = serializers.IntegerField(required=False, **ID)

    @extend_schema_serializer(component_name="AssessmentListCreateRequest")
    class CreateSerializer(AssessmentSerializer):
        course = serializers.IntegerField(**ID)

    @extend_schema(
        parameters=[FilterSerializer],
        responses=AssessmentSerializer(many=True),
        operation_id="assessments_list",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        # Students see only published assessments; editors see drafts too (the selector's rule).
        # Questions pushed in live lectures are listed with their lecture, not here.
        assessments = assessment_list_visible(user=request.user).exclude(kind=AssessmentKind.LIVE)
        if "course" in filters.validated_data:
            assessments = assessments.filter(course=filters.validated_data["course"])
        return Response(
            AssessmentSerializer(assessments.order_by("course", "opens_at", "pk"), many=True).data
        )

    @extend_schema(
        request=CreateSerializer,
        responses={201: AssessmentSerializer},
        operation_id="assessments_create",
    )
    def post(self, request):
        data = self.CreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        course = get_object_or_404(course_list_editable(user=request.user), pk=values.pop("course"))
        assessment = assessment_create(
            course=course, created_by=request.user, **_settings(course, values)
        )
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


class AssessmentDetailApi(APIView):
    @extend_schema(responses=AssessmentSerializer, operation_id="assessments_detail")
    def get(self, request, assessment_id: int):
        # A draft is visible to its editors only (see the selector).
        assessment = get_object_or_404(assessment_list_visible(user=request.user), pk=assessment_id)
        return Response(AssessmentSerializer(assessment).data)

    @extend_schema(
        request=AssessmentSerializer,
        responses=AssessmentSerializer,
        operation_id="assessments_update",
    )
    def put(self, request, assessment_id: int):
        assessment = get_object_or_404(
            assessment_list_editable(user=request.user), pk=assessment_id
        )
        data = AssessmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = assessment_update(
            assessment=assessment, **_settings(assessment.course, data.validated_data)
        )
        return Response(AssessmentSerializer(assessment).data)


class AssessmentPublishApi(APIView):
    @extend_schema_serializer(component_name="AssessmentPublishRequest")
    class InputSerializer(serializers.Serializer):
        published = serializers.BooleanField()

    @extend_schema(
        request=InputSerializer, responses=AssessmentSerializer, operation_id="assessments_publish"
    )
    def post(self, request, assessment_id: int):
        assessment = get_object_or_404(
            assessment_list_editable(user=request.user), pk=assessment_id
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = assessment_publish(
            assessment=assessment, published=data.validated_data["published"]
        )
        return Response(AssessmentSerializer(assessment).data)


class AssessmentQuestionsApi(APIView):
    @extend_schema_serializer(component_name="AssessmentQuestionsRequest")
    class InputSerializer(serializers.Serializer):
        questions = serializers.ListField(
            child=serializers.IntegerField(**ID), max_length=500, allow_empty=True
        )

    @extend_schema(
        request=InputSerializer, responses={204: None}, operation_id="assessments_set_questions"
    )
    def put(self, request, assessment_id: int):
        assessment = get_object_or_404(
            assessment_list_editable(user=request.user), pk=assessment_id
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data["questions"]
        found = question_list_editable(user=request.user).in_bulk(ids)
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise serializers.ValidationError({"questions": [f"Unknown question ids: {missing}."]})
        assessment_set_questions(assessment=assessment, questions=[found[pk] for pk in ids])
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssessmentDrawRulesApi(APIView):
    @extend_schema_serializer(component_name="AssessmentDrawRulesRequest")
    class InputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="DrawRule")
        class RuleSerializer(serializers.Serializer):
            count = serializers.IntegerField(min_value=1, max_value=200)
            knowledge_point = serializers.IntegerField(required=False, allow_null=True, **ID)
            difficulty_min = serializers.IntegerField(min_value=1, max_value=5, default=1)
            difficulty_max = serializers.IntegerField(min_value=1, max_value=5, default=5)

        rules = RuleSerializer(many=True, max_length=50)

    @extend_schema(
        request=InputSerializer, responses={204: None}, operation_id="assessments_set_draw_rules"
    )
    def put(self, request, assessment_id: int):
        assessment = get_object_or_404(
            assessment_list_editable(user=request.user), pk=assessment_id
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        points = assessment.course.knowledge_points.all()
        rules = []
        for rule in data.validated_data["rules"]:
            point_id = rule.pop("knowledge_point", None)
            point = get_object_or_404(points, pk=point_id) if point_id else None
            rules.append(DrawRuleSpec(knowledge_point=point, **rule))
        assessment_set_draw_rules(assessment=assessment, rules=rules)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccommodationApi(APIView):
    @extend_schema_serializer(component_name="AccommodationRequest")
    class InputSerializer(serializers.Serializer):
        student = serializers.IntegerField(required=False, **ID)
        classroom = serializers.IntegerField(required=False, **ID)
        extra_minutes = serializers.IntegerField(min_value=0, max_value=24 * 60, default=0)
        extra_attempts = serializers.IntegerField(min_value=0, max_value=100, default=0)

    @extend_schema(
        request=InputSerializer, responses={204: None}, operation_id="assessments_accommodation"
    )
    def put(self, request, assessment_id: int):
        assessment = get_object_or_404(
            assessment_list_editable(user=request.user), pk=assessment_id
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        school = assessment.course.school
        student = classroom = None
        if "student" in values:
            student = get_object_or_404(
                User.objects.filter(memberships__school=school).distinct(), pk=values["student"]
            )
        if "classroom" in values:
            classroom = get_object_or_404(
                Classroom.objects.filter(school=school), pk=values["classroom"]
            )
        accommodation_set(
            assessment=assessment,
            student=student,
            classroom=classroom,
            extra_minutes=values["extra_minutes"],
            extra_attempts=values["extra_attempts"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssessmentResultsApi(APIView):
    """The live results' current state (the page then follows /ws/assessments/{id}/results/)."""

    @extend_schema(responses={200: dict}, operation_id="assessments_results")
    def get(self, request, assessment_id: int):
        assessment = get_object_or_404(
            assessment_list_editable(user=request.user), pk=assessment_id
        )
        return Response(results_snapshot(assessment=assessment))


class ItemAnalysisApi(APIView):
    @extend_schema(
        responses={200: dict},
        operation_id="assessments_item_analysis",
        parameters=[OpenApiParameter("assessment_id", int, OpenApiParameter.PATH)],
    )
    def get(self, request, assessment_id: int):
        assessment = get_object_or_404(
            assessment_list_editable(user=request.user), pk=assessment_id
        )
        return Response({"questions": item_analysis(assessment=assessment)})
