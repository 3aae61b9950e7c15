from django.urls import path

from assessments.views import bank, manage, student

app_name = "assessments"

urlpatterns = [
    # --- Students (views/student.py) ---
    path("<int:assessment_id>/", student.assessment_detail, name="detail"),
    path("<int:assessment_id>/start/", student.assessment_start, name="start"),
    path("attempts/<int:attempt_id>/", student.attempt_take, name="take"),
    path("attempts/<int:attempt_id>/result/", student.attempt_result, name="result"),
    path("<int:assessment_id>/results/", student.results, name="results"),
    # --- Question bank (views/bank.py) ---
    path("courses/<int:course_id>/bank/", bank.bank_list, name="bank_list"),
    path("courses/<int:course_id>/bank/new/", bank.bank_new, name="bank_new"),
    path("courses/<int:course_id>/bank/new/<str:kind>/", bank.bank_create, name="bank_create"),
    path("courses/<int:course_id>/bank/import/", bank.bank_import, name="bank_import"),
    path("courses/<int:course_id>/bank/export/", bank.bank_export, name="bank_export"),
    path("courses/<int:course_id>/bank/<int:question_id>/edit/", bank.bank_edit, name="bank_edit"),
    path(
        "courses/<int:course_id>/bank/<int:question_id>/preview/",
        bank.bank_preview,
        name="bank_preview",
    ),
    path(
        "courses/<int:course_id>/bank/<int:question_id>/answers/",
        bank.bank_answers,
        name="bank_answers",
    ),
    path(
        "courses/<int:course_id>/bank/<int:question_id>/archive/",
        bank.bank_archive,
        name="bank_archive",
    ),
    path(
        "courses/<int:course_id>/bank/<int:question_id>/delete/",
        bank.bank_delete,
        name="bank_delete",
    ),
    path(
        "courses/<int:course_id>/bank/<int:question_id>/regrade/",
        bank.bank_regrade,
        name="bank_regrade",
    ),
    # --- Set-up, results, item analysis, gradebook (views/manage.py) ---
    path("courses/<int:course_id>/manage/", manage.assessment_list, name="manage_list"),
    path("courses/<int:course_id>/manage/new/", manage.assessment_new, name="manage_create"),
    path("<int:assessment_id>/manage/", manage.assessment_edit, name="manage_edit"),
    path(
        "<int:assessment_id>/manage/questions/",
        manage.assessment_questions,
        name="manage_questions",
    ),
    path(
        "<int:assessment_id>/manage/questions/add/",
        manage.question_add,
        name="manage_question_add",
    ),
    path(
        "<int:assessment_id>/manage/questions/remove/",
        manage.question_remove,
        name="manage_question_remove",
    ),
    path(
        "<int:assessment_id>/manage/questions/move/",
        manage.question_move,
        name="manage_question_move",
    ),
    path("<int:assessment_id>/manage/rules/add/", manage.rule_add, name="manage_rule_add"),
    path("<int:assessment_id>/manage/rules/remove/", manage.rule_remove, name="manage_rule_remove"),
    path(
        "<int:assessment_id>/manage/publish/",
        manage.assessment_publish_view,
        name="manage_publish",
    ),
    path(
        "<int:assessment_id>/manage/accommodations/",
        manage.accommodations,
        name="manage_accommodations",
    ),
    path(
        "<int:assessment_id>/manage/accommodations/<int:accommodation_id>/remove/",
        manage.accommodation_remove,
        name="manage_accommodation_remove",
    ),
    path("<int:assessment_id>/item-analysis/", manage.item_analysis_page, name="item_analysis"),
    path("courses/<int:course_id>/gradebook/", manage.gradebook_page, name="gradebook"),
    path("courses/<int:course_id>/gradebook.csv", manage.gradebook_csv, name="gradebook_csv"),
]

__all__ = ["bank", "manage", "student"]
