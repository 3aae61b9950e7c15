from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from lms import services
from lms.demo import DemoSchool, seeders
from lms.models import Classroom, Role, School, User

DEMO_PASSWORD = "pathwise-demo"
SCHOOL = {"slug": "demo", "name": "Pathwise Demo School"}
ADMIN = ("admin", "Alex Admin")
TEACHERS = [("teacher1", "李老师 Li Wei"), ("teacher2", "Emma Smith")]
CLASSROOM = "Grade 10 · Class 1"
STUDENT_NAMES = [
    "王小明",
    "Olivia Brown",
    "李娜",
    "Noah Johnson",
    "张伟",
    "Ava Garcia",
    "刘洋",
    "Liam Miller",
    "陈静",
    "Mia Davis",
    "杨帆",
    "Lucas Wilson",
    "赵雪",
    "Sophia Moore",
    "黄磊",
    "Ethan Taylor",
    "周婷",
    "Isabella Anderson",
    "吴昊",
    "Mason Thomas",
    "徐丽",
    "Amelia Jackson",
    "孙浩",
    "James White",
    "胡敏",
    "Harper Harris",
    "朱杰",
    "Benjamin Martin",
    "高远",
    "Evelyn Thompson",
]


class Command(BaseCommand):
    help = (
        "Create the demo school: one admin, two teachers and a classroom of 30 students. "
        "Safe to run again: what exists is kept as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Create the demo accounts even with DEBUG off (they share a public password).",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to create demo accounts with a published password while DEBUG is off. "
                "Use --force on a machine that is not in production."
            )
        school = School.objects.filter(slug=SCHOOL["slug"]).first() or services.school_create(
            **SCHOOL
        )
        admin = self._member(*ADMIN, school=school, role=Role.ADMIN)
        teachers = [self._member(*t, school=school, role=Role.TEACHER) for t in TEACHERS]
        students = [
            self._member(f"student{i:02d}", name, school=school, role=Role.STUDENT)
            for i, name in enumerate(STUDENT_NAMES, start=1)
        ]
        classroom = Classroom.objects.filter(
            school=school, name=CLASSROOM
        ).first() or services.classroom_create(
            school=school, name=CLASSROOM, homeroom_teachers=teachers[:1]
        )
        services.classroom_add_students(classroom=classroom, students=students)
        demo = DemoSchool(
            school=school, admin=admin, teachers=teachers, students=students, classroom=classroom
        )
        extra_lines = [line for seeder in seeders() for line in seeder(demo)]

        self.stdout.write(self.style.SUCCESS(f"Demo school ready: {school.name}"))
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        self.stdout.write(f"  school admin  {admin.username}")
        for teacher in teachers:
            self.stdout.write(f"  teacher       {teacher.username}")
        self.stdout.write(
            f"  students      {students[0].username} … {students[-1].username} ({CLASSROOM})"
        )
        for line in extra_lines:
            self.stdout.write(line)

    def _member(self, username: str, display_name: str, *, school: School, role: str) -> User:
        user = User.objects.filter(username=username).first() or services.user_create(
            username=username,
            password=DEMO_PASSWORD,
            display_name=display_name,
            email=f"{username}@demo.pathwise.invalid",
        )
        services.membership_grant(user=user, school=school, role=role)
        return user
