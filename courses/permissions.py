"""Who may do what with a course. Every selector and service of the app asks these."""

from courses.models import Course
from lms.models import Role, User
from lms.selectors import user_roles_in_school


def course_can_edit(*, user: User, course: Course) -> bool:
    """A course is changed by its own teachers and by its school's admins."""
    if not user.is_authenticated:
        return False
    roles = user_roles_in_school(user=user, school=course.school)
    if Role.ADMIN in roles:
        return True
    return Role.TEACHER in roles and course.teachers.filter(pk=user.pk).exists()
