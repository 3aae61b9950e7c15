import factory

from lms.models import Classroom, ClassroomStudent, Membership, Role, School, User

PASSWORD = "correct-horse-battery"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"School {n}")
    slug = factory.Sequence(lambda n: f"school-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    display_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    role = Role.STUDENT


class ClassroomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Classroom

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Class {n}")


class ClassroomStudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassroomStudent

    classroom = factory.SubFactory(ClassroomFactory)
    student = factory.SubFactory(UserFactory)


def member(school: School, role: str, **user_fields) -> User:
    """A user holding `role` in `school`."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, school=school, role=role)
    return user


# --- courses -------------------------------------------------------------------------------------


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "courses.Course"

    school = factory.SubFactory(SchoolFactory)
    code = factory.Sequence(lambda n: f"C-{n:03d}")
    title = factory.Sequence(lambda n: f"Course {n}")
    subject = "Mathematics"
    level = "senior"
    is_published = True


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "courses.Module"

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Module {n}")
    position = factory.Sequence(lambda n: n)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "courses.Lesson"

    module = factory.SubFactory(ModuleFactory)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    position = factory.Sequence(lambda n: n)


class KnowledgePointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "courses.KnowledgePoint"

    course = factory.SubFactory(CourseFactory)
    name = factory.Sequence(lambda n: f"Skill {n}")


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "courses.Enrollment"

    student = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    source = "admin"
