import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from assessments.selectors import assessment_list_editable, results_snapshot
from assessments.services.attempts import assessment_group_name
from lms.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED


class AssessmentResultsConsumer(AsyncJsonWebsocketConsumer):
    """
    `/ws/assessments/<id>/results/`: the live results of an assessment, for its course's teachers
    and school admins. Sends the whole snapshot on connect and after every change; changes that
    arrive together (a class submitting at once) are coalesced into one snapshot per
    `COALESCE_SECONDS`, so the page stays within a second of the database.
    """

    COALESCE_SECONDS = 0.3

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.assessment_id = self.scope["url_route"]["kwargs"]["assessment_id"]
        if not await self._may_watch(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.refresh = None
        self.dirty = False
        self.group_name = assessment_group_name(self.assessment_id)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self._send_snapshot()

    async def disconnect(self, code):
        if getattr(self, "refresh", None) is not None:
            self.refresh.cancel()
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        await self.send_json(
            {"type": "error", "code": "read_only", "detail": "This socket only sends results."}
        )

    async def broadcast(self, message):
        if self.refresh is None or self.refresh.done():
            self.refresh = asyncio.create_task(self._refresh_soon())
        else:
            self.dirty = True

    async def _refresh_soon(self):
        while True:
            await asyncio.sleep(self.COALESCE_SECONDS)
            self.dirty = False
            await self._send_snapshot()
            if not self.dirty:
                return

    async def _send_snapshot(self):
        snapshot = await database_sync_to_async(self._snapshot)()
        if snapshot is not None:
            await self.send_json({"type": "results", "payload": snapshot})

    def _snapshot(self) -> dict | None:
        assessment = assessment_list_editable(user=self.scope["user"]).filter(pk=self.assessment_id)
        found = assessment.first()
        return results_snapshot(assessment=found) if found else None

    @database_sync_to_async
    def _may_watch(self, user) -> bool:
        return assessment_list_editable(user=user).filter(pk=self.assessment_id).exists()
