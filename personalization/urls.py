from django.urls import path

from personalization.views import mastery, plan, profile

app_name = "personalization"

urlpatterns = [
    # --- Study plan (views/plan.py) ---
    path("plan/", plan.plan_page, name="plan"),
    path("plan/steps/<int:item_id>/<str:status>/", plan.plan_step_status, name="plan_step_status"),
    path("students/<int:user_id>/plan/", plan.student_plan, name="student_plan"),
    path(
        "students/<int:user_id>/plan/steps/<int:item_id>/<str:action>/",
        plan.student_plan_step,
        name="student_plan_step",
    ),
    # --- Profile, onboarding and recommendations (views/profile.py) ---
    path("welcome/", profile.onboarding, name="onboarding"),
    path("welcome/skip/", profile.onboarding_skip, name="onboarding_skip"),
    path("profile/", profile.profile, name="profile"),
    path("students/<int:user_id>/profile/", profile.student_profile, name="student_profile"),
    path("recommendations/", profile.recommendations, name="recommendations"),
    # --- Mastery: the student's charts, the class heatmap, students at risk (views/mastery.py) ---
    path("mastery/", mastery.mastery_page, name="mastery"),
    path("students/<int:user_id>/mastery/", mastery.student_mastery_page, name="student_mastery"),
    path("courses/<int:course_id>/mastery/", mastery.course_mastery_page, name="course_mastery"),
    path("courses/<int:course_id>/at-risk/", mastery.course_at_risk_page, name="course_at_risk"),
]
