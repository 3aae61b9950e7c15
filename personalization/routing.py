from django.urls import path

from personalization.consumers import CourseMasteryConsumer

websocket_urlpatterns = [
    path("ws/personalization/courses/<int:course_id>/mastery/", CourseMasteryConsumer.as_asgi()),
]
