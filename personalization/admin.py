from django.contrib import admin

from personalization.models import LearnerProfile, ModelVersion, PlanRefresh, StudyPlan


@admin.register(PlanRefresh)
class PlanRefreshAdmin(admin.ModelAdmin):
    """Refresh requests; those that failed `MAX_TRIES` times wait here for a person."""

    list_display = ["student", "reason", "status", "tries", "created_at", "done_at"]
    list_filter = ["status", "reason"]
    search_fields = ["student__username", "last_error"]
    raw_id_fields = ["student", "attempt"]
    readonly_fields = ["created_at", "enqueued_at", "done_at", "last_error"]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "created_at", "learners", "interactions", "auc", "is_active"]
    list_filter = ["kind", "is_active"]
    exclude = ["blob"]
    readonly_fields = [
        "kind",
        "created_at",
        "source",
        "interactions",
        "learners",
        "metrics",
        "is_active",
        "activated_at",
    ]


@admin.register(StudyPlan)
class StudyPlanAdmin(admin.ModelAdmin):
    list_display = ["student", "revision", "built_at"]
    search_fields = ["student__username"]
    raw_id_fields = ["student", "model_version"]


@admin.register(LearnerProfile)
class LearnerProfileAdmin(admin.ModelAdmin):
    list_display = ["student", "education_level", "weekly_minutes", "exam_date", "onboarded_at"]
    search_fields = ["student__username"]
    raw_id_fields = ["student", "target_course"]
    filter_horizontal = ["interest_tags"]
