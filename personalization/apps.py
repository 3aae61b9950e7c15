from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PersonalizationConfig(AppConfig):
    name = "personalization"
    verbose_name = _("Personalization")

    def ready(self):
        from assessments.signals import attempt_submitted, attempts_regraded
        from personalization import receivers

        attempt_submitted.connect(
            receivers.on_attempt_submitted, dispatch_uid="personalization.attempt_submitted"
        )
        attempts_regraded.connect(
            receivers.on_attempts_regraded, dispatch_uid="personalization.attempts_regraded"
        )
