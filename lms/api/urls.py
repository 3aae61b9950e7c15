from django.urls import path

from lms.api import views

app_name = "lms-api"

urlpatterns = [
    path("auth/token/", views.TokenApi.as_view(), name="token"),
    path("me/", views.MeApi.as_view(), name="me"),
    path("schools/", views.SchoolListApi.as_view(), name="school-list"),
    path(
        "schools/<int:school_id>/classrooms/",
        views.ClassroomListApi.as_view(),
        name="classroom-list",
    ),
]
