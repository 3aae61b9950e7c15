from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("<int:course_id>/", views.course_detail, name="course_detail"),
    path("<int:course_id>/enroll/", views.course_enroll, name="course_enroll"),
    path("lessons/<int:lesson_id>/", views.lesson_detail, name="lesson_detail"),
    path("lessons/<int:lesson_id>/complete/", views.lesson_mark_complete, name="lesson_complete"),
    path("programs/<int:program_id>/", views.program_detail, name="program_detail"),
    path("programs/<int:program_id>/enroll/", views.program_enroll_view, name="program_enroll"),
]
