from django.urls import path

from assessments.consumers import AssessmentResultsConsumer

websocket_urlpatterns = [
    path("ws/assessments/<int:assessment_id>/results/", AssessmentResultsConsumer.as_asgi()),
]
