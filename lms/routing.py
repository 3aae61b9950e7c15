"""Every WebSocket route of the project; each app adds its own `websocket_urlpatterns`."""

from django.urls import path

from lms.consumers import UserEventsConsumer

websocket_urlpatterns = [
    path("ws/events/", UserEventsConsumer.as_asgi()),
]
