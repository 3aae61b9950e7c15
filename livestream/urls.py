from django.urls import path

from livestream import views

app_name = "livestream"

urlpatterns = [
    path("", views.lecture_list, name="list"),
    path("calendar/<str:token>.ics", views.calendar, name="calendar"),
    path("blocked-words/", views.blocked_words, name="blocked_words"),
    path("blocked-words/remove/", views.blocked_word_delete, name="blocked_word_delete"),
    path("courses/<int:course_id>/new/", views.lecture_new, name="new"),
    path("<int:lecture_id>/", views.lecture_detail, name="lecture"),
    path("<int:lecture_id>/recording/", views.lecture_recording, name="recording"),
    path("<int:lecture_id>/edit/", views.lecture_edit, name="edit"),
    path("<int:lecture_id>/state/", views.lecture_state, name="state"),
    path("<int:lecture_id>/delete/", views.lecture_remove, name="delete"),
    path("<int:lecture_id>/report/", views.lecture_report, name="report"),
]
