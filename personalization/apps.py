from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PersonalizationConfig(AppConfig):
    name = "personalization"
    verbose_name = _("Personalization")

    def ready(self):
        from assessments.signals import attempt_submitted, attempts_regraded
        from courses.sections import register_editor_link
        from lms.dashboard import register_panel
        from lms.demo import register_seeder
        from lms.models import Role
        from personalization import receivers
        from personalization.demo import seed_demo_personalization
        from personalization.views.plan import plan_panel
        from personalization.views.profile import recommendations_panel

        attempt_submitted.connect(
            receivers.on_attempt_submitted, dispatch_uid="personalization.attempt_submitted"
        )
        attempts_regraded.connect(
            receivers.on_attempts_regraded, dispatch_uid="personalization.attempts_regraded"
        )
        register_seeder(seed_demo_personalization, order=30)
        register_editor_link(
            label=_("Class mastery"), url_name="personalization:course_mastery", order=40
        )
        register_editor_link(
            label=_("Students at risk"), url_name="personalization:course_at_risk", order=50
        )
        register_panel(
            role=Role.STUDENT,
            template="personalization/_plan_panel.html",
            context=plan_panel,
            order=5,
        )
        register_panel(
            role=Role.STUDENT,
            template="personalization/_recommendations_panel.html",
            context=recommendations_panel,
            order=60,
        )
