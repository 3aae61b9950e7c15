from django.urls import path

from livestream.api import views

app_name = "livestream-api"

urlpatterns = [
    path("lectures/", views.LectureListApi.as_view(), name="lectures"),
    path("lectures/<int:lecture_id>/", views.LectureDetailApi.as_view(), name="lecture"),
    path("lectures/<int:lecture_id>/start/", views.LectureStartApi.as_view(), name="start"),
    path("lectures/<int:lecture_id>/end/", views.LectureEndApi.as_view(), name="end"),
    path("lectures/<int:lecture_id>/danmaku/", views.DanmakuListApi.as_view(), name="danmaku"),
    path(
        "lectures/<int:lecture_id>/danmaku/<int:danmaku_id>/",
        views.DanmakuHideApi.as_view(),
        name="danmaku_hide",
    ),
    path("lectures/<int:lecture_id>/confusion/", views.ConfusionApi.as_view(), name="confusion"),
    path(
        "lectures/<int:lecture_id>/questions/",
        views.LiveQuestionListApi.as_view(),
        name="questions",
    ),
    path(
        "schools/<int:school_id>/blocked-words/",
        views.BlockedWordListApi.as_view(),
        name="blocked_words",
    ),
    path(
        "schools/<int:school_id>/blocked-words/<int:word_id>/",
        views.BlockedWordDetailApi.as_view(),
        name="blocked_word",
    ),
]
