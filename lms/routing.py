"""Every WebSocket route of the project; each app adds its own `websocket_urlpatterns`."""

from django.urls import path

from assessments.routing import websocket_urlpatterns as assessment_routes
from livestream.routing import websocket_urlpatterns as livestream_routes
from lms.consumers import UserEventsConsumer
from personalization.routing import websocket_urlpatterns as personalization_routes

websocket_urlpatterns = [
    path("ws/events/", UserEventsConsumer.as_asgi()),
    *assessment_routes,
    *personalization_routes,
    *livestream_routes,
]
