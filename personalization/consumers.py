import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from courses.selectors import course_list_editable
from lms.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from personalization.api.mastery import HeatmapRowSerializer, HeatmapSerializer
from personalization.selectors import course_mastery_heatmap
from personalization.services.mastery import course_mastery_group_name


class CourseMasteryConsumer(AsyncJsonWebsocketConsumer):
    """
    `/ws/personalization/courses/<id>/mastery/`: the live class heatmap, for the course's
    teachers and school admins. Sends the whole heatmap on connect (`heatmap`, shaped like
    `GET /api/v1/personalization/courses/<id>/mastery/`), then, after each `mastery.updated`
    broadcast, the rows of the students whose mastery changed (`rows`, with `removed`: the ids of
    those no longer actively enrolled). Broadcasts that arrive together (a class submitting at
    once) are coalesced into one message per `COALESCE_SECONDS`. Read-only.
    """

    COALESCE_SECONDS = 0.3

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.course_id = self.scope["url_route"]["kwargs"]["course_id"]
        if not await self._may_watch(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.refresh = None
        self.changed: set[int] = set()
        self.everyone = False
        self.group_name = course_mastery_group_name(self.course_id)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self._send(None)

    async def disconnect(self, code):
        if getattr(self, "refresh", None) is not None:
            self.refresh.cancel()
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        await self.send_json(
            {"type": "error", "code": "read_only", "detail": "This socket only sends mastery."}
        )

    async def broadcast(self, message):
        if message.get("event") != "mastery.updated":
            return
        payload = message.get("payload")
        student = payload.get("student") if isinstance(payload, dict) else None
        if type(student) is int:
            self.changed.add(student)
        else:
            self.everyone = True  # no one student named: send the whole heatmap
        if self.refresh is None or self.refresh.done():
            self.refresh = asyncio.create_task(self._refresh_soon())

    async def _refresh_soon(self):
        while self.changed or self.everyone:
            await asyncio.sleep(self.COALESCE_SECONDS)
            changed, everyone = self.changed, self.everyone
            self.changed, self.everyone = set(), False
            await self._send(None if everyone else changed)

    async def _send(self, student_ids: set[int] | None):
        message = await database_sync_to_async(self._message)(student_ids)
        if message is None:
            await self.close(code=CLOSE_FORBIDDEN)
        else:
            await self.send_json(message)

    def _message(self, student_ids: set[int] | None) -> dict | None:
        """The whole heatmap (`student_ids` None) or those students' rows; None: access lost."""
        course = course_list_editable(user=self.scope["user"]).filter(pk=self.course_id).first()
        if course is None:
            return None
        heatmap = course_mastery_heatmap(course=course, student_ids=student_ids)
        if student_ids is None:
            return {"type": "heatmap", "payload": HeatmapSerializer(heatmap).data}
        present = {row.student.pk for row in heatmap.rows}
        return {
            "type": "rows",
            "payload": {
                "course": course.pk,
                "students": HeatmapRowSerializer(heatmap.rows, many=True).data,
                "removed": sorted(student_ids - present),
            },
        }

    @database_sync_to_async
    def _may_watch(self, user) -> bool:
        return course_list_editable(user=user).filter(pk=self.course_id).exists()
