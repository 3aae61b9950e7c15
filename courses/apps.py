from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses")

    def ready(self):
        from courses import panels, receivers  # noqa: F401  (receivers connect on import)
        from courses.demo import seed_demo_courses
        from lms.dashboard import register_panel
        from lms.demo import register_seeder
        from lms.models import Role

        register_seeder(seed_demo_courses, order=10)
        register_panel(
            role=Role.STUDENT,
            template="courses/_panel_student_courses.html",
            context=panels.student_courses,
            order=10,
        )
        register_panel(
            role=Role.ADMIN,
            template="courses/_panel_admin_courses.html",
            context=panels.admin_courses,
            order=10,
        )
        register_panel(
            role=Role.TEACHER,
            template="courses/_panel_teacher_courses.html",
            context=panels.teacher_courses,
            order=10,
        )
