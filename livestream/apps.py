from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivestreamConfig(AppConfig):
    name = "livestream"
    verbose_name = _("Live lectures")

    def ready(self):
        from courses.sections import register_course_section, register_editor_link
        from livestream.demo import seed_demo_lectures
        from livestream.views import course_section
        from lms.demo import register_seeder

        register_seeder(seed_demo_lectures, order=40)

        register_editor_link(label=_("Live lectures"), url_name="livestream:new", order=40)
        register_course_section(
            template="livestream/_course_section.html", context=course_section, order=15
        )
