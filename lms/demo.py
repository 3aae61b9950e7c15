"""
Demo data hooks: `seed_demo` creates the demo school, then runs the seeders that higher apps
register in `AppConfig.ready()` (courses, tests, lectures), without lms importing them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from lms.models import Classroom, School, User
from lms.registry import Registry


@dataclass(frozen=True)
class DemoSchool:
    school: School
    admin: User
    teachers: list[User]
    students: list[User]
    classroom: Classroom


Seeder = Callable[[DemoSchool], list[str]]  # returns lines to print
_seeders: Registry[Seeder] = Registry()


def register_seeder(seeder: Seeder, *, order: int = 50) -> None:
    _seeders.add(seeder, key=seeder, order=order)


def seeders() -> list[Seeder]:
    return list(_seeders)
