from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Assessments")

    def ready(self):
        from assessments.demo import seed_demo_assessments
        from assessments.views.student import course_section
        from courses.sections import register_course_section, register_editor_link
        from lms.demo import register_seeder

        register_seeder(seed_demo_assessments, order=20)
        register_editor_link(label=_("Question bank"), url_name="assessments:bank_list", order=10)
        register_editor_link(label=_("Tests"), url_name="assessments:manage_list", order=20)
        register_editor_link(label=_("Gradebook"), url_name="assessments:gradebook", order=30)
        register_course_section(
            template="assessments/_course_section.html", context=course_section, order=20
        )
