from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Assessments")

    def ready(self):
        from assessments.views.student import course_section
        from courses.sections import register_course_section

        register_course_section(
            template="assessments/_course_section.html", context=course_section, order=20
        )
