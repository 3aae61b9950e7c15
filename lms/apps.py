from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = _("Schools and people")

    def ready(self):
        from lms import checks  # noqa: F401  (registers the system checks)
