from django.urls import path

from personalization.api import mastery, plan, profile

app_name = "personalization-api"

urlpatterns = [
    # --- Study plan (api/plan.py) ---
    path("plan/", plan.PlanDetailApi.as_view(), name="plan"),
    path("plan/steps/<int:item_id>/", plan.PlanStepStatusApi.as_view(), name="plan_step"),
    path("students/<int:student_id>/plan/", plan.StudentPlanApi.as_view(), name="student_plan"),
    path(
        "students/<int:student_id>/plan/steps/",
        plan.StudentPlanStepCreateApi.as_view(),
        name="student_plan_step_create",
    ),
    path(
        "students/<int:student_id>/plan/steps/<int:item_id>/",
        plan.StudentPlanStepApi.as_view(),
        name="student_plan_step",
    ),
    # --- Profile and recommendations (api/profile.py) ---
    path("profile/", profile.ProfileApi.as_view(), name="profile"),
    path(
        "students/<int:student_id>/profile/",
        profile.StudentProfileApi.as_view(),
        name="student_profile",
    ),
    path("recommendations/", profile.RecommendationListApi.as_view(), name="recommendations"),
    # --- Mastery (api/mastery.py) ---
    path("mastery/", mastery.MasteryDetailApi.as_view(), name="mastery"),
    path(
        "students/<int:student_id>/mastery/",
        mastery.StudentMasteryDetailApi.as_view(),
        name="student_mastery",
    ),
    path(
        "courses/<int:course_id>/mastery/",
        mastery.CourseMasteryHeatmapApi.as_view(),
        name="course_mastery",
    ),
    path(
        "courses/<int:course_id>/at-risk/",
        mastery.CourseAtRiskListApi.as_view(),
        name="course_at_risk",
    ),
]
