"""
Lectures over REST: scheduling (teachers), the comment log by video time or sequence number
(replay, late joiners), moderation, the confusion meter and the school's blocked words.
The room itself is the socket `/ws/lectures/{id}/` (livestream/consumers.py).
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.models import KnowledgePoint
from courses.selectors import course_list_editable
from livestream.models import MAX_TEXT, PALETTE, BlockedWord, DanmakuMode, DanmakuSize, Lecture
from livestream.selectors import (
    blocked_word_list,
    confusion_timeline,
    danmaku_backfill,
    danmaku_window,
    lecture_access,
    lecture_list_editable,
    lecture_list_visible,
    live_question_list,
)
from livestream.serializers import danmaku_payload
from livestream.services.danmaku import (
    blocked_word_add,
    blocked_word_remove,
    danmaku_hide,
    danmaku_send,
)
from livestream.services.lectures import (
    lecture_create,
    lecture_delete,
    lecture_end,
    lecture_start,
    lecture_update,
)
from lms.models import Role, School
from lms.selectors import scope_to_user_schools

ID = {"min_value": 1, "max_value": 2**63 - 1}
SECONDS = {"min_value": 0, "max_value": 24 * 3600}


@extend_schema_serializer(component_name="Lecture")
class LectureSerializer(serializers.ModelSerializer):
    course = serializers.IntegerField(source="course_id", read_only=True)
    teacher = serializers.IntegerField(source="teacher_id", read_only=True)
    knowledge_points = serializers.PrimaryKeyRelatedField(
        many=True, queryset=KnowledgePoint.objects.all(), required=False
    )

    class Meta:
        model = Lecture
        fields = [
            "id",
            "course",
            "teacher",
            "title",
            "description",
            "knowledge_points",
            "scheduled_at",
            "duration_minutes",
            "state",
            "started_at",
            "ended_at",
            "stream_url",
            "recording_url",
            "slow_mode_seconds",
        ]
        read_only_fields = ["state", "started_at", "ended_at", "slow_mode_seconds"]


@extend_schema_serializer(component_name="LectureCreate")
class LectureCreateSerializer(LectureSerializer):
    course = serializers.IntegerField(source="course_id", **ID)

    class Meta(LectureSerializer.Meta):
        pass


class LectureListApi(APIView):
    """Lectures the user may join (enrolled students) or run (teachers, admins); `?course=`."""

    @extend_schema_serializer(component_name="LectureListQuery")
    class FilterSerializer(serializers.Serializer):
        course = serializers.IntegerField(required=False, **ID)

    @extend_schema(
        parameters=[FilterSerializer],
        responses=LectureSerializer(many=True),
        operation_id="livestream_lecture_list",
    )
    def get(self, request):
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        lectures = lecture_list_visible(user=request.user).prefetch_related("knowledge_points")
        if "course" in query.validated_data:
            lectures = lectures.filter(course_id=query.validated_data["course"])
        return Response(LectureSerializer(lectures.order_by("scheduled_at", "pk"), many=True).data)

    @extend_schema(
        request=LectureCreateSerializer,
        responses={201: LectureSerializer},
        operation_id="livestream_lecture_create",
    )
    def post(self, request):
        serializer = LectureCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        course = get_object_or_404(
            course_list_editable(user=request.user), pk=data.pop("course_id")
        )
        lecture = lecture_create(course=course, teacher=request.user, **data)
        return Response(LectureSerializer(lecture).data, status=status.HTTP_201_CREATED)


def _editable(request, lecture_id: int) -> Lecture:
    return get_object_or_404(lecture_list_editable(user=request.user), pk=lecture_id)


def _visible(request, lecture_id: int) -> Lecture:
    return get_object_or_404(lecture_list_visible(user=request.user), pk=lecture_id)


class LectureDetailApi(APIView):
    @extend_schema(responses=LectureSerializer, operation_id="livestream_lecture_detail")
    def get(self, request, lecture_id: int):
        return Response(LectureSerializer(_visible(request, lecture_id)).data)

    @extend_schema(
        request=LectureSerializer,
        responses=LectureSerializer,
        operation_id="livestream_lecture_update",
    )
    def patch(self, request, lecture_id: int):
        lecture = _editable(request, lecture_id)
        serializer = LectureSerializer(lecture, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        lecture = lecture_update(lecture=lecture, **serializer.validated_data)
        return Response(LectureSerializer(lecture).data)

    @extend_schema(responses={204: None}, operation_id="livestream_lecture_delete")
    def delete(self, request, lecture_id: int):
        lecture_delete(lecture=_editable(request, lecture_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LectureStartApi(APIView):
    """Go live: enrolled students are told on whatever page they have open."""

    @extend_schema(
        request=None, responses=LectureSerializer, operation_id="livestream_lecture_start"
    )
    def post(self, request, lecture_id: int):
        lecture = lecture_start(lecture=_editable(request, lecture_id))
        return Response(LectureSerializer(lecture).data)


class LectureEndApi(APIView):
    @extend_schema(request=None, responses=LectureSerializer, operation_id="livestream_lecture_end")
    def post(self, request, lecture_id: int):
        lecture = lecture_end(lecture=_editable(request, lecture_id))
        return Response(LectureSerializer(lecture).data)


@extend_schema_serializer(component_name="DanmakuAuthor")
class AuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="Danmaku")
class DanmakuSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    seq = serializers.IntegerField()
    text = serializers.CharField(help_text="Plain text: show it as text, never as HTML.")
    mode = serializers.ChoiceField(choices=DanmakuMode.choices)
    color = serializers.CharField()
    size = serializers.ChoiceField(choices=DanmakuSize.choices)
    video_time = serializers.FloatField(help_text="Seconds into the stream or recording.")
    sent_at = serializers.DateTimeField()
    author = AuthorSerializer()
    confused = serializers.BooleanField()


@extend_schema_serializer(component_name="DanmakuWindow")
class WindowSerializer(serializers.Serializer):
    results = DanmakuSerializer(many=True)


@extend_schema_serializer(component_name="DanmakuBackfill")
class BackfillSerializer(serializers.Serializer):
    messages = DanmakuSerializer(many=True)
    hidden = serializers.ListField(child=serializers.IntegerField())
    last_seq = serializers.IntegerField()


class DanmakuListApi(APIView):
    """
    The lecture's comments: `?from=&to=` by video time (replay; at most 2,000, in video-time
    order), or `?after=` by sequence number (what a viewer missed, with the ids deleted since).
    Posting a comment here is the same as sending it on the socket.
    """

    @extend_schema_serializer(component_name="DanmakuQuery")
    class FilterSerializer(serializers.Serializer):
        from_ = serializers.FloatField(required=False, **SECONDS)
        to = serializers.FloatField(required=False, **SECONDS)
        after = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1)

        def get_fields(self):
            fields = super().get_fields()
            fields["from"] = fields.pop("from_")
            return fields

        def validate(self, data):
            window = {"from", "to"} & data.keys()
            if ("after" in data and window) or ("after" not in data and len(window) < 2):
                raise serializers.ValidationError(
                    _("Give either from and to (video seconds) or after (a sequence number).")
                )
            if window and data["to"] <= data["from"]:
                raise serializers.ValidationError({"to": _("to must be after from.")})
            return data

    @extend_schema_serializer(component_name="DanmakuSend")
    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=MAX_TEXT, trim_whitespace=False)
        video_time = serializers.FloatField(**SECONDS)
        mode = serializers.ChoiceField(choices=DanmakuMode.choices, default=DanmakuMode.SCROLL)
        color = serializers.ChoiceField(choices=[(c, c) for c in PALETTE], default=PALETTE[0])
        size = serializers.ChoiceField(choices=DanmakuSize.choices, default=DanmakuSize.NORMAL)

    @extend_schema(
        parameters=[FilterSerializer],
        responses=WindowSerializer,
        operation_id="livestream_danmaku_list",
        description="With `after`, the answer is shaped like DanmakuBackfill instead.",
    )
    def get(self, request, lecture_id: int):
        lecture = _visible(request, lecture_id)
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if "after" in data:
            return Response(danmaku_backfill(lecture=lecture, after=data["after"]))
        return Response(
            {"results": danmaku_window(lecture=lecture, start=data["from"], end=data["to"])}
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: DanmakuSerializer},
        operation_id="livestream_danmaku_send",
    )
    def post(self, request, lecture_id: int):
        lecture = _visible(request, lecture_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        access = lecture_access(user=request.user, lecture=lecture)
        danmaku = danmaku_send(
            lecture=lecture,
            author=request.user,
            moderator=access.may_moderate,
            **serializer.validated_data,
        )
        return Response(danmaku_payload(danmaku), status=status.HTTP_201_CREATED)


class DanmakuHideApi(APIView):
    """Delete a comment for every viewer (teachers of the course, school admins)."""

    @extend_schema(responses={204: None}, operation_id="livestream_danmaku_hide")
    def delete(self, request, lecture_id: int, danmaku_id: int):
        lecture = _editable(request, lecture_id)
        danmaku = get_object_or_404(lecture.danmaku.all(), pk=danmaku_id)
        danmaku_hide(danmaku=danmaku, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_serializer(component_name="ConfusionBucket")
class BucketSerializer(serializers.Serializer):
    start = serializers.IntegerField(help_text="Seconds into the video.")
    total = serializers.IntegerField()
    confused = serializers.IntegerField()


@extend_schema_serializer(component_name="ConfusionSpike")
class SpikeSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    confused = serializers.IntegerField()
    total = serializers.IntegerField()
    knowledge_points = serializers.ListField(child=serializers.CharField())


@extend_schema_serializer(component_name="ConfusionTimeline")
class ConfusionSerializer(serializers.Serializer):
    bucket_seconds = serializers.IntegerField()
    buckets = BucketSerializer(many=True)
    spikes = SpikeSerializer(many=True)


class ConfusionApi(APIView):
    """The confusion meter: comments and confused comments per bucket of video time, spikes."""

    @extend_schema_serializer(component_name="ConfusionQuery")
    class FilterSerializer(serializers.Serializer):
        bucket = serializers.IntegerField(default=30, min_value=5, max_value=600)

    @extend_schema(
        parameters=[FilterSerializer],
        responses=ConfusionSerializer,
        operation_id="livestream_confusion",
    )
    def get(self, request, lecture_id: int):
        lecture = _editable(request, lecture_id)
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        timeline = confusion_timeline(
            lecture=lecture, bucket_seconds=query.validated_data["bucket"]
        )
        return Response(timeline)


@extend_schema_serializer(component_name="LiveQuestionSummary")
class LiveQuestionSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="question.pk")
    kind = serializers.CharField(source="question.kind")
    title = serializers.CharField(source="question.__str__")
    opened_at = serializers.DateTimeField(source="question.opened_at")
    closes_at = serializers.DateTimeField(source="question.closes_at")
    video_time = serializers.FloatField(source="question.video_time")
    answered = serializers.IntegerField(source="tally.answered")
    correct = serializers.IntegerField(source="tally.correct", allow_null=True)
    counts = serializers.DictField(source="tally.counts", child=serializers.IntegerField())


class LiveQuestionListApi(APIView):
    """The questions pushed during the lecture, with how the room answered."""

    @extend_schema(
        responses=LiveQuestionSummarySerializer(many=True),
        operation_id="livestream_question_list",
    )
    def get(self, request, lecture_id: int):
        lecture = _editable(request, lecture_id)
        return Response(
            LiveQuestionSummarySerializer(live_question_list(lecture=lecture), many=True).data
        )


@extend_schema_serializer(component_name="BlockedWord")
class BlockedWordSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    word = serializers.CharField(max_length=50)


def _admin_school(request, school_id: int) -> School:
    return get_object_or_404(
        scope_to_user_schools(
            School.objects.all(), user=request.user, roles=(Role.ADMIN,), school_field="pk"
        ),
        pk=school_id,
    )


class BlockedWordListApi(APIView):
    """A school's blocked words, refused in every lecture of the school (its admins)."""

    @extend_schema(responses=BlockedWordSerializer(many=True), operation_id="livestream_words")
    def get(self, request, school_id: int):
        school = _admin_school(request, school_id)
        return Response(BlockedWordSerializer(blocked_word_list(school=school), many=True).data)

    @extend_schema(
        request=BlockedWordSerializer,
        responses={201: BlockedWordSerializer},
        operation_id="livestream_word_add",
    )
    def post(self, request, school_id: int):
        school = _admin_school(request, school_id)
        serializer = BlockedWordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        word = blocked_word_add(school=school, word=serializer.validated_data["word"])
        return Response(BlockedWordSerializer(word).data, status=status.HTTP_201_CREATED)


class BlockedWordDetailApi(APIView):
    @extend_schema(responses={204: None}, operation_id="livestream_word_remove")
    def delete(self, request, school_id: int, word_id: int):
        school = _admin_school(request, school_id)
        blocked_word_remove(word=get_object_or_404(BlockedWord, school=school, pk=word_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
