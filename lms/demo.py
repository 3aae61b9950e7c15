"""
Demo data hooks: `seed_demo` creates the demo school, then runs the seeders that higher apps
register in `AppConfig.ready()` (courses, tests, lectures), without lms importing them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from lms.models import Classroom, School, User


@dataclass(frozen=True)
class DemoSchool:
    school: School
    admin: User
    teachers: list[User]
    students: list[User]
    classroom: Classroom


Seeder = Callable[[DemoSchool], list[str]]  # returns lines to print
_seeders: list[tuple[int, Seeder]] = []


def register_seeder(seeder: Seeder, *, order: int = 50) -> None:
    if all(existing is not seeder for _order, existing in _seeders):
        _seeders.append((order, seeder))
        _seeders.sort(key=lambda item: item[0])


def seeders() -> list[Seeder]:
    return [seeder for _order, seeder in _seeders]
