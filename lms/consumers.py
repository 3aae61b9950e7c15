from channels.generic.websocket import AsyncJsonWebsocketConsumer

from lms.services import user_group_name

# Close codes in the 4000-4999 range are the application's own (RFC 6455 §7.4.2).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class UserEventsConsumer(AsyncJsonWebsocketConsumer):
    """
    `/ws/events/`: one socket per open page, carrying events addressed to the signed-in user
    (a rebuilt study plan, a lecture going live…). Read-only: the client sends nothing.
    """

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group_name = user_group_name(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # Any frame, JSON or not, gets the same answer and the connection stays open.
        await self.send_json(
            {"type": "error", "code": "read_only", "detail": "This socket only sends events."}
        )

    async def broadcast(self, message):
        await self.send_json({"type": message["event"], "payload": message["payload"]})
