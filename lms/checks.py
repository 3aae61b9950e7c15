from django.conf import settings
from django.core import checks

CONSOLE_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@checks.register(checks.Tags.security, deploy=True)
def email_is_delivered(app_configs, **kwargs):
    """Without EMAIL_URL, password-reset links would be printed to the log, not sent."""
    if settings.EMAIL_BACKEND in CONSOLE_BACKENDS:
        return [
            checks.Warning(
                f"Emails are not sent: EMAIL_BACKEND is {settings.EMAIL_BACKEND}.",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587.",
                id="lms.W001",
            )
        ]
    return []
