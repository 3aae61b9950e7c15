from django.urls import path

from livestream.consumers import LectureConsumer

websocket_urlpatterns = [
    path("ws/lectures/<int:lecture_id>/", LectureConsumer.as_asgi()),
]
