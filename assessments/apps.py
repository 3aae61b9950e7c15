from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Assessments")

    def ready(self):
        from assessments.demo import seed_demo_assessments
        from assessments.views.student import course_section
        from courses.sections import register_course_section
        from lms.demo import register_seeder

        register_seeder(seed_demo_assessments, order=20)
        register_course_section(
            template="assessments/_course_section.html", context=course_section, order=20
        )
