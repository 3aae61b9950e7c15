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
