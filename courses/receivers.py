from django.dispatch import receiver

from courses.services.enrollment import classroom_students_joined
from lms.signals import classroom_students_added


@receiver(classroom_students_added, dispatch_uid="courses.enroll_classroom_newcomers")
def enroll_classroom_newcomers(sender, *, classroom, students, **kwargs):
    classroom_students_joined(classroom=classroom, students=students)
