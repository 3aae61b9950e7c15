"""The courses app's panels on the role-aware home page (registered in CoursesConfig.ready)."""

from django.http import HttpRequest

from courses.selectors import course_list_editable, enrollment_list_for_student
from lms.models import School


def student_courses(request: HttpRequest, school: School) -> dict:
    return {
        "enrollments": enrollment_list_for_student(user=request.user).filter(course__school=school)
    }


def teacher_courses(request: HttpRequest, school: School) -> dict:
    return {
        "courses": course_list_editable(user=request.user)
        .filter(school=school, teachers=request.user)
        .order_by("title")
    }


def admin_courses(request: HttpRequest, school: School) -> dict:
    return {"course_count": course_list_editable(user=request.user).filter(school=school).count()}
