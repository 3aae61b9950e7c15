"""
CSV import of people into one school: accounts, roles, classroom seats, course enrollments and
course teachers.

`import_parse` checks a whole file and says, row by row, what it would do, without writing.
`import_apply` does it in one transaction: every row or none. An `ImportJob` wraps either for the
upload page; files of more than a few hundred rows run in a Celery worker.

The columns (header row required, any order, names case-insensitive)::

    username  required
    email     optional
    name      optional display name, e.g. 王小明
    role      required: student, teacher or admin (also 学生, 教师, 管理员)
    classroom optional, students only: a classroom of the school, created when missing
    courses   optional course codes separated by ";" or ",": students are enrolled,
              teachers are added to the course's teachers
    password  optional initial password of a new account
"""

import csv
import io
import logging
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePath

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import (
    ClassroomEnrollment,
    Course,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    ImportJob,
    ImportStatus,
)
from courses.services.authoring import course_update
from lms.models import Classroom, ClassroomStudent, Membership, Role, School, User
from lms.services import classroom_add_students, classroom_create

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
INLINE_MAX_ROWS = 500  # larger files run in a Celery worker
REPORT_MAX_ROWS = 1_000  # rows kept in a job's report, besides every row with an error
PROGRESS_EVERY = 500  # rows between two progress reports
_LOOKUP_CHUNK = 5_000  # values per IN (...) query

COLUMNS = ("username", "email", "name", "role", "classroom", "courses", "password")
REQUIRED_COLUMNS = ("username", "role")
ROLE_NAMES = {
    "student": Role.STUDENT,
    "teacher": Role.TEACHER,
    "admin": Role.ADMIN,
    "school admin": Role.ADMIN,
    "学生": Role.STUDENT,
    "教师": Role.TEACHER,
    "管理员": Role.ADMIN,
}
# Course codes are separated by ";" or ",", in ASCII or full-width form.
_COURSE_SEPARATORS = re.compile("[;,\uff1b\uff0c]")

_USERNAME_FIELD = User._meta.get_field("username")
_EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length
_NAME_MAX_LENGTH = User._meta.get_field("display_name").max_length
_CLASSROOM_NAME_MAX_LENGTH = Classroom._meta.get_field("name").max_length


@dataclass
class RowPlan:
    """What one data row of the file would do (`actions`) or why it cannot (`errors`)."""

    line: int
    username: str
    actions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class _RowWork:
    """The writes of one valid row, for `import_apply`."""

    line: int
    user: User  # unsaved when `is_new`
    is_new: bool
    password: str
    role: str
    grant_role: bool
    classroom: str  # the classroom to seat the student in; "" for none
    enroll: list[Course]
    revive: list[int]  # ids of dropped enrollments to make active again
    teach: list[Course]


@dataclass
class ImportPlan:
    """The outcome of checking a file: file-level `errors` and one `RowPlan` per data row."""

    rows: list[RowPlan] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter, repr=False)
    new_classrooms: list[str] = field(default_factory=list, repr=False)
    work: list[_RowWork] = field(default_factory=list, repr=False)

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.rows) and not any(row.errors for row in self.rows)

    @property
    def summary(self) -> dict[str, int]:
        """How many of each change the import makes; `unchanged` counts rows that change nothing."""
        keys = ("accounts", "roles", "classrooms", "seats", "enrollments", "teaching", "unchanged")
        return {"rows": len(self.rows), **{key: self.counts[key] for key in keys}}


# --- reading the file ---------------------------------------------------------------------------


@dataclass
class _Record:
    line: int
    cells: dict[str, str]
    stray_values: bool  # values outside the named columns


def _read(data: bytes, errors: list[str]) -> list[_Record]:
    """The data rows of a CSV file; appends to `errors` and returns [] when it cannot be read."""
    if len(data) > MAX_BYTES:
        errors.append(
            _("The file is larger than %(limit)s. Split it into smaller files.")
            % {"limit": "5 MiB"}
        )
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append(
            _(
                "The file is not UTF-8 text. Save it as UTF-8 (in Excel: “CSV UTF-8”; in "
                "WPS or LibreOffice choose the UTF-8 character set) and upload it again."
            )
        )
        return []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns: list[str] | None = None
    records: list[_Record] = []
    line = 1
    try:
        while True:
            line = reader.line_num + 1
            try:
                cells = [cell.strip() for cell in next(reader)]
            except StopIteration:
                break
            if not any(cells):
                continue
            if columns is None:
                columns = _read_header(cells, errors)
                if errors:
                    return []
                continue
            if len(records) == MAX_ROWS:
                errors.append(
                    _("The file has more than %(limit)s rows. Split it into smaller files.")
                    % {"limit": f"{MAX_ROWS:,}"}
                )
                return []
            values = dict.fromkeys(COLUMNS, "")
            stray = False
            for index, cell in enumerate(cells):
                name = columns[index] if index < len(columns) else ""
                if name:
                    values[name] = cell
                elif cell:
                    stray = True
            records.append(_Record(line=line, cells=values, stray_values=stray))
    except csv.Error as exc:
        errors.append(
            _("Line %(line)s is not valid CSV: %(error)s.") % {"line": line, "error": exc}
        )
        return []
    if columns is None:
        errors.append(_("The file is empty."))
    elif not records:
        errors.append(_("The file has a header row but no rows to import."))
    return records


def _read_header(cells: list[str], errors: list[str]) -> list[str]:
    columns = [cell.lstrip("\ufeff").strip().lower() for cell in cells]
    unknown = [name for name in columns if name and name not in COLUMNS]
    if unknown:
        message = _("Unknown column(s): %(unknown)s. The columns are: %(known)s.") % {
            "unknown": ", ".join(f"“{name}”" for name in unknown),
            "known": ", ".join(COLUMNS),
        }
        if any(";" in name or "\t" in name for name in unknown):
            message += " " + _("Separate the columns with commas.")
        errors.append(message)
    for name, count in Counter(name for name in columns if name).items():
        if count > 1:
            errors.append(_("The column “%(column)s” appears more than once.") % {"column": name})
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        errors.append(
            _("Missing required column(s): %(columns)s.") % {"columns": ", ".join(missing)}
        )
    return columns


# --- what is in the database already -------------------------------------------------------------


def _chunks(values: Sequence, size: int = _LOOKUP_CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class _Existing:
    """The rows a file refers to, each kind loaded in one query (or one per 5,000 values)."""

    users: dict[str, User]
    usernames_ci: dict[str, str]  # lower-case username → an existing username spelled so
    roles_here: dict[int, set[str]]
    members_elsewhere: set[int]
    email_owners: dict[str, str]  # lower-case email → username
    courses: dict[str, Course]  # lower-case code → course
    teaching: set[tuple[int, int]]  # (course id, user id)
    classrooms: dict[str, Classroom]  # name as written in the file → classroom
    classroom_courses: dict[int, list[Course]]  # classroom id → courses it is enrolled in
    seats: set[tuple[int, int]]  # (classroom id, user id)
    enrollments: dict[tuple[int, int], tuple[int, str]]  # (user id, course id) → (id, status)

    @classmethod
    def load(cls, *, school: School, records: list[_Record]) -> "_Existing":
        usernames = sorted({User.normalize_username(r.cells["username"]) for r in records} - {""})
        users: dict[str, User] = {}
        usernames_ci: dict[str, str] = {}
        for chunk in _chunks(usernames):
            folded = sorted({name.lower() for name in chunk})
            for user in User.objects.annotate(username_ci=Lower("username")).filter(
                Q(username__in=chunk) | Q(username_ci__in=folded)
            ):
                usernames_ci.setdefault(user.username.lower(), user.username)
                if user.username in chunk:
                    users[user.username] = user
        user_ids = sorted(user.pk for user in users.values())
        roles_here: dict[int, set[str]] = defaultdict(set)
        members_elsewhere: set[int] = set()
        for chunk in _chunks(user_ids):
            for user_id, school_id, role in Membership.objects.filter(
                user_id__in=chunk
            ).values_list("user_id", "school_id", "role"):
                if school_id == school.pk:
                    roles_here[user_id].add(role)
                else:
                    members_elsewhere.add(user_id)

        emails = sorted({r.cells["email"].lower() for r in records} - {""})
        email_owners = {
            email: username
            for chunk in _chunks(emails)
            for email, username in User.objects.annotate(email_ci=Lower("email"))
            .filter(email_ci__in=chunk)
            .values_list("email_ci", "username")
        }

        codes = {
            code.strip().lower()
            for r in records
            for code in _COURSE_SEPARATORS.split(r.cells["courses"])
        } - {""}
        courses = {}
        if codes:
            courses = {
                c.code.lower(): c
                for c in Course.objects.filter(school=school)
                if c.code.lower() in codes
            }
        teaching: set[tuple[int, int]] = set()
        if courses:
            teaching = set(
                Course.teachers.through.objects.filter(
                    course_id__in=[c.pk for c in courses.values()]
                ).values_list("course_id", "user_id")
            )

        names = {r.cells["classroom"] for r in records} - {""}
        classrooms = _classrooms_by_name(school, names) if names else {}
        classroom_courses: dict[int, list[Course]] = defaultdict(list)
        if classrooms:
            for link in ClassroomEnrollment.objects.filter(
                classroom__in=classrooms.values()
            ).select_related("course"):
                classroom_courses[link.classroom_id].append(link.course)

        course_ids = {c.pk for c in courses.values()} | {
            c.pk for linked in classroom_courses.values() for c in linked
        }
        seats: set[tuple[int, int]] = set()
        enrollments: dict[tuple[int, int], tuple[int, str]] = {}
        for chunk in _chunks(user_ids):
            if classrooms:
                seats.update(
                    ClassroomStudent.objects.filter(
                        classroom__in=classrooms.values(), student_id__in=chunk
                    ).values_list("classroom_id", "student_id")
                )
            if course_ids:
                for pk, student_id, course_id, status in Enrollment.objects.filter(
                    course_id__in=course_ids, student_id__in=chunk
                ).values_list("pk", "student_id", "course_id", "status"):
                    enrollments[student_id, course_id] = (pk, status)
        return cls(
            users=users,
            usernames_ci=usernames_ci,
            roles_here=roles_here,
            members_elsewhere=members_elsewhere,
            email_owners=email_owners,
            courses=courses,
            teaching=teaching,
            classrooms=classrooms,
            classroom_courses=classroom_courses,
            seats=seats,
            enrollments=enrollments,
        )


def _classrooms_by_name(school: School, names: set[str]) -> dict[str, Classroom]:
    """
    The school's classrooms for the names of a file: the one of that exact name, else the only
    one whose name differs in case, so that "class 3" does not make a second "Class 3".
    """
    exact: dict[str, Classroom] = {}
    folded: dict[str, list[Classroom]] = defaultdict(list)
    for classroom in Classroom.objects.filter(school=school):
        exact[classroom.name] = classroom
        folded[classroom.name.casefold()].append(classroom)
    found = {}
    for name in names:
        candidates = folded.get(name.casefold(), [])
        if name in exact:
            found[name] = exact[name]
        elif len(candidates) == 1:
            found[name] = candidates[0]
    return found


# --- checking rows -------------------------------------------------------------------------------


def _role_noun(role: str) -> str:
    return {
        Role.STUDENT: _("student"),
        Role.TEACHER: _("teacher"),
        Role.ADMIN: _("school admin"),
    }[role]


def _other_lines(lines: list[int], line: int) -> str:
    return ", ".join(str(other) for other in lines if other != line)


@dataclass
class _Checker:
    school: School
    existing: _Existing
    username_lines: dict[str, list[int]]
    new_email_lines: dict[str, list[int]]
    plan: ImportPlan

    def check(self, record: _Record) -> None:
        cells = record.cells
        username = User.normalize_username(cells["username"])
        row = RowPlan(line=record.line, username=username)
        self.plan.rows.append(row)
        errors = row.errors
        if record.stray_values:
            errors.append(_("This row has values outside the named columns."))

        self._check_username(username, row)
        role = ROLE_NAMES.get(cells["role"].lower())
        if not cells["role"]:
            errors.append(_("The role is missing: write student, teacher or admin."))
        elif role is None:
            errors.append(
                _("Unknown role “%(role)s”: the role must be student, teacher or admin.")
                % {"role": cells["role"]}
            )
        email = cells["email"]
        if email:
            if len(email) > _EMAIL_MAX_LENGTH:
                errors.append(_("The email address is too long."))
            else:
                try:
                    validate_email(email)
                except ValidationError:
                    errors.append(_("“%(email)s” is not a valid email address.") % {"email": email})
        name = cells["name"]
        if len(name) > _NAME_MAX_LENGTH:
            errors.append(
                _("The name is too long (at most %(limit)s characters).")
                % {"limit": _NAME_MAX_LENGTH}
            )

        user = self.existing.users.get(username)
        if user is not None:
            self._check_existing(user, email, row)
        elif username and email:
            self._check_new_email(email, row)

        classroom = cells["classroom"]
        if classroom and role and role != Role.STUDENT:
            errors.append(_("Only students can be placed in a classroom."))
        elif len(classroom) > _CLASSROOM_NAME_MAX_LENGTH:
            errors.append(
                _("The classroom name is too long (at most %(limit)s characters).")
                % {"limit": _CLASSROOM_NAME_MAX_LENGTH}
            )
        courses = self._courses(cells["courses"], row)
        if courses and role == Role.ADMIN:
            errors.append(_("Courses can only be given to students and teachers."))

        new_user = None
        password = cells["password"]
        if user is None and not errors:
            new_user = User(
                username=username,
                email=User.objects.normalize_email(email),
                display_name=name,
            )
            if password:
                try:
                    password_validation.validate_password(password, user=new_user)
                except ValidationError as exc:
                    errors.append(
                        _("The password is too weak: %(reasons)s")
                        % {"reasons": " ".join(exc.messages)}
                    )
        if errors:
            return
        self._plan_row(
            row=row,
            user=user or new_user,
            is_new=user is None,
            password=password,
            role=role,
            classroom=classroom,
            courses=courses,
        )

    def _check_username(self, username: str, row: RowPlan) -> None:
        if not username:
            row.errors.append(_("The username is missing."))
            return
        if len(username) > _USERNAME_FIELD.max_length:
            row.errors.append(
                _("The username is too long (at most %(limit)s characters).")
                % {"limit": _USERNAME_FIELD.max_length}
            )
            return
        try:
            User.username_validator(username)
        except ValidationError as exc:
            row.errors.append(
                _("The username “%(username)s” is not valid: %(reason)s")
                % {"username": username, "reason": " ".join(exc.messages)}
            )
        spelled = self.existing.usernames_ci.get(username.lower(), username)
        if username not in self.existing.users and spelled != username:
            row.errors.append(
                _(
                    "The username “%(username)s” differs only in case from the existing account "
                    "“%(existing)s”: write it the same way."
                )
                % {"username": username, "existing": spelled}
            )
        lines = self.username_lines[username.lower()]
        if len(lines) > 1:
            row.errors.append(
                _(
                    "The username “%(username)s” is used more than once in this file (also on line "
                    "%(lines)s)."
                )
                % {"username": username, "lines": _other_lines(lines, row.line)}
            )

    def _check_existing(self, user: User, email: str, row: RowPlan) -> None:
        member_here = bool(self.existing.roles_here.get(user.pk))
        if not member_here and user.pk in self.existing.members_elsewhere:
            row.errors.append(
                _("“%(username)s” is an account of another school and cannot be imported here.")
                % {"username": user.username}
            )
        elif not member_here and (user.is_staff or user.is_superuser):
            # A school would gain a say over a site administrator's account.
            row.errors.append(
                _("“%(username)s” is a site staff account and cannot be imported.")
                % {"username": user.username}
            )
        elif email and email.lower() != user.email.lower():
            # An import never changes existing accounts: a different email is a mistake somewhere.
            if user.email:
                message = _(
                    "The account “%(username)s” already exists with a different email address."
                )
            else:
                message = _(
                    "The account “%(username)s” already exists without an email address; an "
                    "import does not change existing accounts, so leave the email empty."
                )
            row.errors.append(message % {"username": user.username})

    def _check_new_email(self, email: str, row: RowPlan) -> None:
        key = email.lower()
        if key in self.existing.email_owners:
            row.errors.append(
                _("The email address %(email)s already belongs to another account.")
                % {"email": email}
            )
        lines = self.new_email_lines.get(key, [])
        if len(lines) > 1:
            row.errors.append(
                _(
                    "The email address %(email)s is used more than once in this file (also on "
                    "line %(lines)s)."
                )
                % {"email": email, "lines": _other_lines(lines, row.line)}
            )

    def _courses(self, value: str, row: RowPlan) -> list[Course]:
        courses: dict[int, Course] = {}
        for code in _COURSE_SEPARATORS.split(value):
            code = code.strip()
            if not code:
                continue
            course = self.existing.courses.get(code.lower())
            if course is None:
                row.errors.append(_("Unknown course code “%(code)s”.") % {"code": code})
            else:
                courses.setdefault(course.pk, course)
        return list(courses.values())

    def _plan_row(
        self,
        *,
        row: RowPlan,
        user: User,
        is_new: bool,
        password: str,
        role: str,
        classroom: str,
        courses: list[Course],
    ) -> None:
        existing, counts, actions = self.existing, self.plan.counts, row.actions
        changes = 0
        if is_new:
            changes += 1
            counts["accounts"] += 1
            if user.display_name:
                actions.append(
                    _("Create account %(username)s (%(name)s)")
                    % {"username": user.username, "name": user.display_name}
                )
            else:
                actions.append(_("Create account %(username)s") % {"username": user.username})
            if password:
                actions.append(_("Set the initial password from the file"))
            else:
                actions.append(_("No password yet: send a password reset link"))
        else:
            actions.append(_("Account %(username)s exists") % {"username": user.username})
            if password:
                actions.append(_("Keep the account's password (the file's password is ignored)"))

        held = existing.roles_here.get(user.pk, set()) if not is_new else set()
        grant_role = role not in held
        texts = {"role": _role_noun(role), "school": self.school.name}
        if grant_role:
            changes += 1
            counts["roles"] += 1
            actions.append(_("Make %(role)s of %(school)s") % texts)
        else:
            actions.append(_("Already %(role)s of %(school)s") % texts)

        def enrollment_of(course: Course) -> tuple[int, str] | None:
            return None if is_new else existing.enrollments.get((user.pk, course.pk))

        enroll: list[Course] = []
        revive: list[int] = []
        teach: list[Course] = []
        for course in courses:
            if role == Role.STUDENT:
                current = enrollment_of(course)
                if current is None:
                    enroll.append(course)
                    actions.append(_("Enroll in %(course)s") % {"course": course.code})
                elif current[1] == EnrollmentStatus.DROPPED:
                    revive.append(current[0])
                    actions.append(
                        _("Enroll again in %(course)s (was dropped)") % {"course": course.code}
                    )
                else:
                    actions.append(_("Already enrolled in %(course)s") % {"course": course.code})
            elif not is_new and (course.pk, user.pk) in existing.teaching:
                actions.append(_("Already teaches %(course)s") % {"course": course.code})
            else:
                teach.append(course)
                actions.append(_("Add as teacher of %(course)s") % {"course": course.code})
        counts["enrollments"] += len(enroll) + len(revive)
        counts["teaching"] += len(teach)
        changes += len(enroll) + len(revive) + len(teach)

        seat = ""
        if classroom:
            room = existing.classrooms.get(classroom)
            if room is None:
                # One new classroom for the spellings of a name that differ only in case.
                seat = next(
                    (n for n in self.plan.new_classrooms if n.casefold() == classroom.casefold()),
                    classroom,
                )
                if seat == classroom and classroom not in self.plan.new_classrooms:
                    self.plan.new_classrooms.append(classroom)
                    counts["classrooms"] += 1
                texts = {"classroom": seat}
                actions.append(_("Seat in classroom %(classroom)s (new)") % texts)
            elif not is_new and (room.pk, user.pk) in existing.seats:
                texts = {"classroom": room.name}
                actions.append(_("Already in classroom %(classroom)s") % texts)
            else:
                seat = room.name
                texts = {"classroom": seat}
                actions.append(_("Seat in classroom %(classroom)s") % texts)
                explicit = {c.pk for c in courses}
                for course in existing.classroom_courses.get(room.pk, []):
                    current = enrollment_of(course)
                    if course.pk in explicit or (
                        current and current[1] != EnrollmentStatus.DROPPED
                    ):
                        continue
                    counts["enrollments"] += 1
                    actions.append(
                        _("Enroll in %(course)s with classroom %(classroom)s")
                        % {"course": course.code, **texts}
                    )
        if seat:
            changes += 1
            counts["seats"] += 1
        if not changes:
            counts["unchanged"] += 1
        self.plan.work.append(
            _RowWork(
                line=row.line,
                user=user,
                is_new=is_new,
                password=password,
                role=role,
                grant_role=grant_role,
                classroom=seat,
                enroll=enroll,
                revive=revive,
                teach=teach,
            )
        )


def import_parse(
    *,
    school: School,
    data: bytes,
    on_progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """
    Check a whole CSV file against the school without writing anything: the plan lists what
    each row would do, or every reason why the file cannot be imported. The number of queries
    does not grow with the number of rows. `on_progress(rows_checked)` is called every few
    hundred rows.
    """
    plan = ImportPlan()
    records = _read(data, plan.errors)
    if plan.errors:
        return plan
    username_lines: dict[str, list[int]] = defaultdict(list)
    for record in records:
        username = User.normalize_username(record.cells["username"])
        username_lines[username.lower()].append(record.line)
    existing = _Existing.load(school=school, records=records)
    new_email_lines: dict[str, list[int]] = defaultdict(list)
    for record in records:
        username = User.normalize_username(record.cells["username"])
        if record.cells["email"] and username not in existing.users:
            new_email_lines[record.cells["email"].lower()].append(record.line)
    checker = _Checker(
        school=school,
        existing=existing,
        username_lines=username_lines,
        new_email_lines=new_email_lines,
        plan=plan,
    )
    for done, record in enumerate(records, start=1):
        checker.check(record)
        if on_progress and done % PROGRESS_EVERY == 0:
            on_progress(done)
    if on_progress:
        on_progress(len(records))
    return plan


# --- applying ------------------------------------------------------------------------------------


def import_apply(
    *,
    school: School,
    data: bytes,
    on_progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """
    Import a CSV file: every row or none. The file is checked again inside the transaction; when
    it is not valid nothing is written and the plan says why. Importing the same file twice
    changes nothing the second time. `on_progress(rows_done)` is called every few hundred rows,
    inside the transaction (so other database sessions do not see what it writes).
    """
    with transaction.atomic():
        # One import per school at a time, so the plan stays true until it is applied.
        School.objects.select_for_update().filter(pk=school.pk).first()
        plan = import_parse(school=school, data=data)
        if plan.is_valid:
            _apply(school=school, plan=plan, on_progress=on_progress)
    return plan


def _apply(*, school: School, plan: ImportPlan, on_progress: Callable[[int], None] | None) -> None:
    """
    Write a valid plan. Accounts, roles and enrollments are written in batches with the same
    result as `user_create`, `membership_grant` and `enrollment_create`; classrooms, seats and
    course teachers go through their services (seating sends `classroom_students_added`, so
    students follow their classroom into its courses).
    """
    classrooms = {
        c.name: c for c in Classroom.objects.filter(school=school, name__in=plan.new_classrooms)
    }
    for name in plan.new_classrooms:
        if name not in classrooms:
            classrooms[name] = classroom_create(school=school, name=name)
    needed = {w.classroom for w in plan.work if w.classroom} - set(classrooms)
    classrooms.update(
        {c.name: c for c in Classroom.objects.filter(school=school, name__in=sorted(needed))}
    )

    done = 0
    for chunk in _chunks(plan.work, PROGRESS_EVERY):
        _users_create([w for w in chunk if w.is_new])
        Membership.objects.bulk_create(
            [Membership(user=w.user, school=school, role=w.role) for w in chunk if w.grant_role],
            batch_size=500,
            ignore_conflicts=True,
        )
        Enrollment.objects.bulk_create(
            [
                Enrollment(student=w.user, course=course, source=EnrollmentSource.IMPORT)
                for w in chunk
                for course in w.enroll
            ],
            batch_size=500,
            ignore_conflicts=True,
        )
        revive = [pk for w in chunk for pk in w.revive]
        if revive:
            Enrollment.objects.filter(pk__in=revive).update(
                status=EnrollmentStatus.ACTIVE,
                source=EnrollmentSource.IMPORT,
                dropped_at=None,
                updated_at=timezone.now(),
            )
        seats: dict[str, list[User]] = defaultdict(list)
        for w in chunk:
            if w.classroom:
                seats[w.classroom].append(w.user)
        for name, students in seats.items():
            classroom_add_students(classroom=classrooms[name], students=students)
        new_teachers: dict[int, list[User]] = defaultdict(list)
        courses: dict[int, Course] = {}
        for w in chunk:
            for course in w.teach:
                courses[course.pk] = course
                new_teachers[course.pk].append(w.user)
        for course_id, teachers in new_teachers.items():
            course = courses[course_id]
            course_update(course=course, teachers=[*course.teachers.all(), *teachers])
        done += len(chunk)
        if on_progress:
            on_progress(done)


def _users_create(work: list[_RowWork]) -> None:
    """Create accounts as `lms.services.user_create` does, in one batch."""
    users = []
    for w in work:
        user = w.user
        if w.password:
            user.set_password(w.password)
        else:
            user.set_unusable_password()
        # Uniqueness was checked for the whole file at once; the database constraints stay.
        user.full_clean(validate_unique=False, validate_constraints=False)
        users.append(user)
    User.objects.bulk_create(users, batch_size=500)
    missing = [user for user in users if user.pk is None]
    if missing:  # a database that cannot return ids from a bulk insert
        ids = dict(
            User.objects.filter(username__in=[u.username for u in missing]).values_list(
                "username", "pk"
            )
        )
        for user in missing:
            user.pk = ids[user.username]


# --- jobs ----------------------------------------------------------------------------------------


@transaction.atomic
def import_job_create(
    *, school: School, created_by: User, uploaded_file, dry_run: bool
) -> ImportJob:
    """Store an uploaded CSV file as a pending import job; refuses other files and large ones."""
    filename = PurePath(getattr(uploaded_file, "name", "") or "").name
    if PurePath(filename).suffix.lower() != ".csv":
        raise ValidationError({"file": _("Upload a .csv file.")})
    if uploaded_file.size > MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is larger than %(limit)s. Split it into smaller files.")
                % {"limit": "5 MiB"}
            }
        )
    if not uploaded_file.size:
        raise ValidationError({"file": _("The file is empty.")})
    uploaded_file.seek(0)
    job = ImportJob(
        school=school,
        created_by=created_by,
        filename=filename[:255],
        dry_run=dry_run,
        # A random name: the file may hold initial passwords, so its address is not guessable.
        file=ContentFile(uploaded_file.read(), name=f"{uuid.uuid4().hex}.csv"),
    )
    job.full_clean()
    job.save()
    return job


def import_job_start(*, job: ImportJob) -> ImportJob:
    """
    Run a job now when its file is small, otherwise hand it to a Celery worker once the
    current transaction commits (the page then polls `status` and `processed_rows`).
    """
    if _count_rows(_job_data(job)) <= INLINE_MAX_ROWS:
        return import_job_run(job=job)
    from courses.tasks import import_job_run_task  # the tasks module imports this one

    transaction.on_commit(lambda: import_job_run_task.delay(job.pk))
    return job


def _count_rows(data: bytes) -> int:
    """Roughly the number of data rows: non-blank lines after the header."""
    return max(sum(1 for line in data.splitlines() if line.strip()) - 1, 0)


def _job_data(job: ImportJob) -> bytes:
    with job.file.open("rb") as file:
        return file.read()


def import_job_run(*, job: ImportJob) -> ImportJob:
    """
    Run a job: a dry run checks the file, a real run imports it. The job ends `succeeded` when
    the file is valid (and, for a real run, imported) and `failed` otherwise, always with a
    report; an unexpected error also ends it `failed`, with the error in the report.

    Progress: `processed_rows` counts the rows checked, written as the check goes (outside any
    import transaction, so the polling page sees it). A real run then applies the file in one
    transaction, with `report["phase"] == "applying"` until it commits.
    """

    def store(**fields) -> None:
        ImportJob.objects.filter(pk=job.pk).update(**fields, updated_at=timezone.now())
        for name, value in fields.items():
            setattr(job, name, value)

    phase = "checking"
    store(
        status=ImportStatus.RUNNING,
        processed_rows=0,
        report={"phase": phase, "dry_run": job.dry_run},
        finished_at=None,
    )
    try:
        data = _job_data(job)
        plan = import_parse(
            school=job.school,
            data=data,
            on_progress=lambda done: store(processed_rows=done),
        )
        store(total_rows=len(plan.rows), processed_rows=len(plan.rows))
        if plan.is_valid and not job.dry_run:
            phase = "applying"
            store(report={"phase": phase, "dry_run": job.dry_run})
            plan = import_apply(school=job.school, data=data)
        status = ImportStatus.SUCCEEDED if plan.is_valid else ImportStatus.FAILED
        report = import_plan_report(plan, dry_run=job.dry_run)
    except Exception as exc:
        logger.exception("Import job %s failed", job.pk)
        reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        status = ImportStatus.FAILED
        report = {
            "valid": False,
            "dry_run": job.dry_run,
            "phase": phase,
            "summary": {},
            "errors": [
                _(
                    "The import stopped because of an unexpected error; nothing was imported: "
                    "%(error)s"
                )
                % {"error": reason or exc.__class__.__name__}
            ],
            "rows": [],
        }
    store(status=status, report=report, finished_at=timezone.now())
    if not job.dry_run:
        import_job_forget_file(job=job)
    return job


def import_job_forget_file(*, job: ImportJob) -> None:
    """Delete a job's stored file: it may hold initial passwords, so it is kept no longer
    than needed (a real run's file once it ran, a dry run's once it was confirmed)."""
    if job.file:
        job.file.delete(save=False)
    ImportJob.objects.filter(pk=job.pk).update(file="", updated_at=timezone.now())


def import_plan_report(plan: ImportPlan, *, dry_run: bool) -> dict:
    """
    A plan as JSON for `ImportJob.report`. Large files keep the first rows and every row with
    an error, and say how many rows were left out.
    """
    rows = [
        {"line": r.line, "username": r.username, "actions": r.actions, "errors": r.errors}
        for index, r in enumerate(plan.rows)
        if index < REPORT_MAX_ROWS or r.errors
    ]
    report = {
        "valid": plan.is_valid,
        "dry_run": dry_run,
        "phase": "done",
        "summary": plan.summary,
        "errors": plan.errors,
        "rows": rows,
        "rows_omitted": len(plan.rows) - len(rows),
    }
    if report["rows_omitted"]:
        report["note"] = _(
            "Only the first %(limit)s rows and the rows with errors are listed; "
            "%(omitted)s other rows are left out."
        ) % {"limit": f"{REPORT_MAX_ROWS:,}", "omitted": f"{report['rows_omitted']:,}"}
    return report


KEEP_FILES_FOR = timedelta(days=1)


def import_files_sweep(*, now=None) -> int:
    """
    Delete the stored files of imports older than a day (dry runs that were never confirmed
    keep theirs until then: they may hold initial passwords). Returns how many were deleted.
    """
    cutoff = (now or timezone.now()) - KEEP_FILES_FOR
    jobs = list(ImportJob.objects.filter(created_at__lt=cutoff).exclude(file=""))
    for job in jobs:
        import_job_forget_file(job=job)
    return len(jobs)
