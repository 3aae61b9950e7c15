from django.urls import path

from assessments.views import student

app_name = "assessments"

urlpatterns = [
    # --- Students (views/student.py) ---
    path("<int:assessment_id>/", student.assessment_detail, name="detail"),
    path("<int:assessment_id>/start/", student.assessment_start, name="start"),
    path("attempts/<int:attempt_id>/", student.attempt_take, name="take"),
    path("attempts/<int:attempt_id>/result/", student.attempt_result, name="result"),
    path("<int:assessment_id>/results/", student.results, name="results"),
]
