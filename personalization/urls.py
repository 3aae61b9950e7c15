from django.urls import path

from personalization.views import plan

app_name = "personalization"

urlpatterns = [
    # --- Study plan (views/plan.py) ---
    path("plan/", plan.plan_page, name="plan"),
    path(
        "plan/steps/<int:item_id>/<str:status>/", plan.plan_step_status, name="plan_step_status"
    ),
    path("students/<int:user_id>/plan/", plan.student_plan, name="student_plan"),
    path(
        "students/<int:user_id>/plan/steps/<int:item_id>/<str:action>/",
        plan.student_plan_step,
        name="student_plan_step",
    ),
    # --- Profile, onboarding and recommendations (views/profile.py) ---
    # --- Mastery: the student's charts, the class heatmap, students at risk (views/mastery.py) ---
]
