from django.urls import path

from assessments.api import authoring, views

app_name = "assessments-api"

urlpatterns = [
    # Students taking an assessment
    path(
        "<int:assessment_id>/attempts/",
        views.AttemptStartApi.as_view(),
        name="attempt-start",
    ),
    path("attempts/<int:attempt_id>/", views.AttemptDetailApi.as_view(), name="attempt-detail"),
    path(
        "attempts/<int:attempt_id>/responses/<int:question_id>/",
        views.ResponseSaveApi.as_view(),
        name="response-save",
    ),
    path(
        "attempts/<int:attempt_id>/submit/", views.AttemptSubmitApi.as_view(), name="attempt-submit"
    ),
    path(
        "attempts/<int:attempt_id>/result/", views.AttemptResultApi.as_view(), name="attempt-result"
    ),
    # Everyone who may see them; set-up by the course's teachers and the school's admins
    path("", authoring.AssessmentListApi.as_view(), name="assessment-list"),
    path("<int:assessment_id>/", authoring.AssessmentDetailApi.as_view(), name="assessment-detail"),
    path(
        "<int:assessment_id>/publish/",
        authoring.AssessmentPublishApi.as_view(),
        name="assessment-publish",
    ),
    path(
        "<int:assessment_id>/questions/",
        authoring.AssessmentQuestionsApi.as_view(),
        name="assessment-questions",
    ),
    path(
        "<int:assessment_id>/draw-rules/",
        authoring.AssessmentDrawRulesApi.as_view(),
        name="assessment-draw-rules",
    ),
    path(
        "<int:assessment_id>/accommodations/",
        authoring.AccommodationApi.as_view(),
        name="assessment-accommodations",
    ),
    path(
        "<int:assessment_id>/results/",
        authoring.AssessmentResultsApi.as_view(),
        name="assessment-results",
    ),
    path(
        "<int:assessment_id>/item-analysis/",
        authoring.ItemAnalysisApi.as_view(),
        name="assessment-item-analysis",
    ),
    # The question bank
    path("questions/", authoring.QuestionListApi.as_view(), name="question-list"),
    path("questions/import/", authoring.QuestionImportApi.as_view(), name="question-import"),
    path("questions/export/", authoring.QuestionExportApi.as_view(), name="question-export"),
    path(
        "questions/<int:question_id>/",
        authoring.QuestionDetailApi.as_view(),
        name="question-detail",
    ),
    path(
        "questions/<int:question_id>/archive/",
        authoring.QuestionArchiveApi.as_view(),
        name="question-archive",
    ),
    path(
        "questions/<int:question_id>/regrade/",
        authoring.QuestionRegradeApi.as_view(),
        name="question-regrade",
    ),
]
