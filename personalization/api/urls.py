from django.urls import path

from personalization.api import plan

app_name = "personalization-api"

urlpatterns = [
    # --- Study plan (api/plan.py) ---
    path("plan/", plan.PlanDetailApi.as_view(), name="plan"),
    # --- Profile and recommendations (api/profile.py) ---
    # --- Mastery (api/mastery.py) ---
]
