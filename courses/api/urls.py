from django.urls import path

from courses.api import views

app_name = "courses-api"

urlpatterns = [
    path("", views.CourseListApi.as_view(), name="course-list"),
    path("<int:course_id>/", views.CourseDetailApi.as_view(), name="course-detail"),
    path("<int:course_id>/enroll/", views.CourseEnrollApi.as_view(), name="course-enroll"),
    path("enrollments/mine/", views.MyEnrollmentListApi.as_view(), name="my-enrollments"),
    path("lessons/<int:lesson_id>/", views.LessonDetailApi.as_view(), name="lesson-detail"),
    path(
        "lessons/<int:lesson_id>/progress/",
        views.LessonProgressApi.as_view(),
        name="lesson-progress",
    ),
    path(
        "lessons/<int:lesson_id>/complete/",
        views.LessonCompleteApi.as_view(),
        name="lesson-complete",
    ),
]
