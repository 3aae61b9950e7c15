import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import (
    ClassroomEnrollment,
    Course,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    ImportJob,
    ImportStatus,
)
from courses.services import imports
from courses.services.enrollment import classroom_enroll, enrollment_drop
from courses.services.imports import (
    import_apply,
    import_job_create,
    import_job_run,
    import_job_start,
    import_parse,
)
from courses.tasks import import_job_run_task
from lms.models import Classroom, ClassroomStudent, Membership, Role, User
from tests.factories import CourseFactory, SchoolFactory, UserFactory, member

HEADER = "username,email,name,role,classroom,courses,password"


def csv_bytes(*rows: str, header: str = HEADER, newline: str = "\n", bom: bool = False) -> bytes:
    text = newline.join([header, *rows]) + newline
    return text.encode("utf-8-sig" if bom else "utf-8")


def snapshot() -> dict[str, int]:
    """How many rows each table an import may write to holds."""
    return {
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "classrooms": Classroom.objects.count(),
        "seats": ClassroomStudent.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "teaching": Course.teachers.through.objects.count(),
        "classroom_enrollments": ClassroomEnrollment.objects.count(),
    }


def roles_of(username: str, school) -> set[str]:
    return set(
        Membership.objects.filter(user__username=username, school=school).values_list(
            "role", flat=True
        )
    )


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def mixed_file():
    """A new student, a new teacher and an existing student, each with courses."""
    return csv_bytes(
        "wang.xm,Wang@Example.org,王小明,student,Grade 10 · Class 2,MATH-1,Tr0ub4dor&3xyz",
        "li.t,,Li Teacher,teacher,,math-1,",
        "student_a,,,student,Class A1,MATH-1,",
    )


# --- checking without writing ----------------------------------------------------------------


def test_dry_run_writes_nothing_and_lists_actions_row_by_row(course_world, mixed_file):
    # given a file of three rows
    school = course_world["a"]["school"]
    before = snapshot()
    # when it is checked
    plan = import_parse(school=school, data=mixed_file)
    # then every row says what it would do, and nothing was written
    assert plan.is_valid, plan
    assert [(row.line, row.username) for row in plan.rows] == [
        (2, "wang.xm"),
        (3, "li.t"),
        (4, "student_a"),
    ]
    new_student, new_teacher, existing = (row.actions for row in plan.rows)
    assert new_student == [
        "Create account wang.xm (王小明)",
        "Set the initial password from the file",
        "Make student of School A",
        "Enroll in MATH-1",
        "Seat in classroom Grade 10 · Class 2 (new)",
    ]
    assert "Add as teacher of MATH-1" in new_teacher
    assert "No password yet: send a password reset link" in new_teacher
    assert "Already student of School A" in existing
    assert "Already enrolled in MATH-1" in existing
    assert "Already in classroom Class A1" in existing
    assert plan.summary == {
        "rows": 3,
        "accounts": 2,
        "roles": 2,
        "classrooms": 1,
        "seats": 1,
        "enrollments": 1,
        "teaching": 1,
        "unchanged": 1,
    }
    assert snapshot() == before


# --- importing ---------------------------------------------------------------------------------


def test_real_run_creates_accounts_roles_seats_and_enrollments(course_world, mixed_file):
    # given a file with a new student, a new teacher and an existing student
    school, course = course_world["a"]["school"], course_world["course"]
    # when it is imported
    plan = import_apply(school=school, data=mixed_file)
    # then the student has an account that signs in with the file's password
    assert plan.is_valid, plan
    student = User.objects.get(username="wang.xm")
    assert student.display_name == "王小明"
    assert student.email == "Wang@example.org"  # normalized as user_create does
    assert student.check_password("Tr0ub4dor&3xyz")
    assert roles_of("wang.xm", school) == {Role.STUDENT}
    # and is seated in the new classroom and enrolled by the import
    classroom = Classroom.objects.get(school=school, name="Grade 10 · Class 2")
    assert list(classroom.students.all()) == [student]
    enrollment = Enrollment.objects.get(student=student, course=course)
    assert enrollment.source == EnrollmentSource.IMPORT
    assert enrollment.status == EnrollmentStatus.ACTIVE
    # and the teacher, without a password yet, teaches the course next to its teacher
    teacher = User.objects.get(username="li.t")
    assert not teacher.has_usable_password()
    assert roles_of("li.t", school) == {Role.TEACHER}
    assert set(course.teachers.all()) == {teacher, course_world["a"][Role.TEACHER]}


def test_importing_the_same_file_twice_changes_nothing(course_world, mixed_file):
    # given a file imported once
    school = course_world["a"]["school"]
    import_apply(school=school, data=mixed_file)
    before = snapshot()
    password = User.objects.get(username="wang.xm").password
    # when it is imported again
    plan = import_apply(school=school, data=mixed_file)
    # then every row is unchanged and nothing was written
    assert plan.is_valid, plan
    assert plan.summary["unchanged"] == 3
    assert plan.summary["accounts"] == plan.summary["enrollments"] == 0
    assert snapshot() == before
    assert User.objects.get(username="wang.xm").password == password


def test_existing_accounts_keep_their_password(course_world):
    # given an existing student listed with a password
    student = course_world["a"][Role.STUDENT]
    data = csv_bytes("student_a,,,student,,,An0ther-pass-word")
    # when the file is imported
    plan = import_apply(school=course_world["a"]["school"], data=data)
    # then the password was not changed, and the plan said so
    assert plan.is_valid, plan
    assert "Keep the account's password (the file's password is ignored)" in plan.rows[0].actions
    student.refresh_from_db()
    assert student.check_password("correct-horse-battery")


def test_a_dropped_enrollment_becomes_active_again(course_world):
    # given a student who dropped the course
    student, course = course_world["a"][Role.STUDENT], course_world["course"]
    enrollment_drop(enrollment=Enrollment.objects.get(student=student, course=course))
    # when a file enrolls them again
    plan = import_apply(
        school=course_world["a"]["school"], data=csv_bytes("student_a,,,student,,MATH-1,")
    )
    # then the enrollment is active again, as enrollment_create would make it
    assert "Enroll again in MATH-1 (was dropped)" in plan.rows[0].actions
    enrollment = Enrollment.objects.get(student=student, course=course)
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert enrollment.source == EnrollmentSource.IMPORT
    assert enrollment.dropped_at is None


def test_an_existing_member_can_be_given_another_role(course_world):
    # given a teacher of school A
    school = course_world["a"]["school"]
    # when a file makes them an admin too
    plan = import_apply(school=school, data=csv_bytes("teacher_a,teacher_a@example.org,,admin,,,"))
    # then they hold both roles
    assert plan.rows[0].actions[-1] == "Make school admin of School A"
    assert roles_of("teacher_a", school) == {Role.TEACHER, Role.ADMIN}


def test_students_joining_a_classroom_get_its_courses(course_world):
    # given a classroom enrolled in a course
    a = course_world["a"]
    physics = CourseFactory(school=a["school"], code="PHYS-1")
    classroom_enroll(classroom=a["classroom"], course=physics)
    data = csv_bytes("new.kid,,,student,Class A1,MATH-1,")
    # when a new student is imported into that classroom
    plan = import_apply(school=a["school"], data=data)
    # then they follow the classroom into its course, besides the course of the file
    assert "Enroll in PHYS-1 with classroom Class A1" in plan.rows[0].actions
    kid = User.objects.get(username="new.kid")
    sources = dict(Enrollment.objects.filter(student=kid).values_list("course__code", "source"))
    assert sources == {"MATH-1": EnrollmentSource.IMPORT, "PHYS-1": EnrollmentSource.CLASSROOM}


# --- refusing bad files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        ("new.two,,,student,,NOPE-9,", "Unknown course code “NOPE-9”."),
        ("new.two,not-an-email,,student,,,", "“not-an-email” is not a valid email address."),
        ("new.one,,,teacher,,,", "used more than once in this file (also on line 2)"),
        ("new.two,,,principal,,,", "the role must be student, teacher or admin"),
        ("new.two,,,,,,", "The role is missing"),
        ("new.two,,,teacher,Class A1,,", "Only students can be placed in a classroom."),
        ("student_b,,,student,,,", "“student_b” is an account of another school"),
        ("student_a,someone@example.org,,student,,,", "already exists with a different email"),
        ("new.two,student_a@example.org,,student,,,", "already belongs to another account"),
        ("new two!,,,student,,,", "The username “new two!” is not valid"),
        ("Student_A,,,student,,,", "differs only in case from the existing account “student_a”"),
        ("NEW.ONE,,,student,,,", "used more than once in this file (also on line 2)"),
        ("x" * 151 + ",,,student,,,", "The username is too long"),
        (",,,student,,,", "The username is missing."),
        ("new.two,,,admin,,MATH-1,", "Courses can only be given to students and teachers."),
        ("new.two,,,student,,,12345", "The password is too weak"),
        ("new.two,,,student,,,,surplus", "values outside the named columns"),
    ],
)
def test_one_bad_row_refuses_the_whole_file(course_world, bad_row, reason):
    # given a good row on line 2 and a bad one on line 3
    data = csv_bytes("new.one,,,student,Class A1,MATH-1,", bad_row)
    before = snapshot()
    # when the file is imported
    plan = import_apply(school=course_world["a"]["school"], data=data)
    # then nothing is written and the error names its line and reason
    assert not plan.is_valid
    assert snapshot() == before
    bad = [row for row in plan.rows if row.errors]
    assert bad[-1].line == 3
    assert any(reason in error for error in bad[-1].errors), bad[-1].errors


def test_a_classroom_name_differing_only_in_case_is_the_same_classroom(school_world):
    # given a file naming an existing classroom and a new one, each in two spellings
    school = school_world["a"]["school"]
    data = csv_bytes("k1,,,student,class a2,,", "k2,,,student,Grade 1,,", "k3,,,student,GRADE 1,,")
    # when it is imported
    plan = import_apply(school=school, data=data)
    # then the existing classroom was used and only one classroom was made
    assert plan.rows[0].actions[-1] == "Seat in classroom Class A2"
    assert plan.rows[2].actions[-1] == "Seat in classroom Grade 1 (new)"
    assert plan.summary["classrooms"] == 1
    assert set(
        school_world["a"]["other_classroom"].students.values_list("username", flat=True)
    ) == {
        "classmate_a",
        "k1",
    }
    assert set(
        Classroom.objects.get(school=school, name="Grade 1").students.values_list(
            "username", flat=True
        )
    ) == {"k2", "k3"}


def test_an_account_without_a_school_can_be_imported_but_not_a_staff_account(school_world):
    # given an account of no school, and a site administrator of no school
    UserFactory(username="loner", email="loner@example.org")
    UserFactory(username="root", is_staff=True, is_superuser=True)
    data = csv_bytes("loner,loner@example.org,,student,,,", "root,,,admin,,,")
    # when a school imports both
    plan = import_parse(school=school_world["a"]["school"], data=data)
    # then the first joins the school and the administrator is refused
    assert plan.rows[0].errors == []
    assert plan.rows[0].actions[:2] == ["Account loner exists", "Make student of School A"]
    assert plan.rows[1].errors == ["“root” is a site staff account and cannot be imported."]


def test_every_duplicate_names_the_other_lines(school_world):
    data = csv_bytes("dup,,,student,,,", "other,,,student,,,", "dup,,,teacher,,,")
    plan = import_parse(school=school_world["a"]["school"], data=data)
    assert "(also on line 4)" in plan.rows[0].errors[0]
    assert "(also on line 2)" in plan.rows[2].errors[0]
    assert not plan.rows[1].errors


def test_utf8_with_bom_chinese_names_and_chinese_role_labels(course_world):
    # given a file saved by Excel as "CSV UTF-8": with a BOM, Chinese names and role labels
    school = course_world["a"]["school"]
    data = csv_bytes(
        "wang.xm,,王小明,学生,高一（2）班,MATH-1,",
        "zhang.ls,,张老师,教师,,MATH-1,",
        "li.gl,,李管理,管理员,,,",
        header="Username,Email,Name,ROLE,Classroom,Courses,Password",
        bom=True,
    )
    # when it is imported
    plan = import_apply(school=school, data=data)
    # then the names and roles came through
    assert plan.is_valid, plan
    assert plan.rows[0].actions[0] == "Create account wang.xm (王小明)"
    assert User.objects.get(username="wang.xm").display_name == "王小明"
    assert roles_of("wang.xm", school) == {Role.STUDENT}
    assert roles_of("zhang.ls", school) == {Role.TEACHER}
    assert roles_of("li.gl", school) == {Role.ADMIN}
    assert Classroom.objects.get(school=school, name="高一（2）班").students.count() == 1


def test_crlf_line_endings_and_empty_lines_are_accepted(course_world):
    data = csv_bytes("a.one,,,student,,,", "", "a.two,,,student,,,", newline="\r\n")
    plan = import_apply(school=course_world["a"]["school"], data=data)
    assert plan.is_valid, plan
    assert [(row.line, row.username) for row in plan.rows] == [(2, "a.one"), (4, "a.two")]
    assert User.objects.filter(username__in=["a.one", "a.two"]).count() == 2


def test_a_file_that_is_not_utf8_is_refused_with_a_clear_message(school_world):
    # given a file saved in GBK, as Excel does on a Chinese Windows
    data = "username,name,role\nwang.xm,王小明,学生\n".encode("gbk")
    # when it is checked
    plan = import_parse(school=school_world["a"]["school"], data=data)
    # then it is refused, asking for UTF-8
    assert not plan.is_valid
    assert plan.rows == []
    assert "not UTF-8" in plan.errors[0]
    assert "Save it as UTF-8" in plan.errors[0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"username,role,nickname\nx,student,y\n", "Unknown column(s): “nickname”."),
        (b"username;role\nx;student\n", "Separate the columns with commas."),
        (b"username,email\nx,x@example.org\n", "Missing required column(s): role."),
        (b"username,role,Role\nx,student,student\n", "The column “role” appears more than once."),
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\r\n\r\n", "The file is empty."),
        (b"username,role\n", "The file has a header row but no rows to import."),
        (b'username,role\n"x,student\n', "Line 2 is not valid CSV: unexpected end of data."),
    ],
)
def test_a_file_with_a_bad_shape_is_refused(school_world, data, message):
    plan = import_parse(school=school_world["a"]["school"], data=data)
    assert not plan.is_valid
    assert any(message in error for error in plan.errors), plan.errors


def test_files_over_the_limits_are_refused(school_world):
    school = school_world["a"]["school"]
    too_many = csv_bytes(*(f"u{i},,,student,,," for i in range(20_001)))
    too_big = b"username,role\n" + b"x" * (5 * 1024 * 1024)
    assert import_parse(school=school, data=too_many).errors == [
        "The file has more than 20,000 rows. Split it into smaller files."
    ]
    assert import_parse(school=school, data=too_big).errors == [
        "The file is larger than 5 MiB. Split it into smaller files."
    ]


# --- performance -------------------------------------------------------------------------------


def rows_for(count: int) -> list[str]:
    """New students in new and existing classrooms with courses, and existing members."""
    rows = ["student_a,,,student,Class A1,MATH-1,", "teacher_a,,,teacher,,MATH-1,"]
    for i in range(count - len(rows)):
        classroom = "Class A1" if i % 2 else f"Grade {i % 7}"
        rows.append(f"s{i},s{i}@example.org,Student {i},student,{classroom},MATH-1,")
    return rows


def test_checking_takes_the_same_number_of_queries_for_5_or_200_rows(
    course_world, django_assert_max_num_queries
):
    # given a classroom enrolled in a course, and files of 5 and 200 rows
    a = course_world["a"]
    classroom_enroll(classroom=a["classroom"], course=CourseFactory(school=a["school"]))
    small, large = csv_bytes(*rows_for(5)), csv_bytes(*rows_for(200))
    with CaptureQueriesContext(connection) as queries:
        assert import_parse(school=a["school"], data=small).is_valid
    # then checking 40 times as many rows takes no more queries
    assert len(queries) <= 10
    with django_assert_max_num_queries(len(queries)):
        plan = import_parse(school=a["school"], data=large)
    assert plan.is_valid
    assert len(plan.rows) == 200


def test_ten_thousand_rows_are_imported(course_world):
    # given 10,000 new students (some with a password) in 20 classrooms, and 50 new teachers
    school, course = course_world["a"]["school"], course_world["course"]
    rows = [
        f"s{i:05},s{i:05}@example.org,学生{i},student,Grade {i % 20},MATH-1,"
        + ("Secret-pass-9876" if i % 10 == 0 else "")
        for i in range(9_950)
    ] + [f"t{i:02},,Teacher {i},teacher,,MATH-1," for i in range(50)]
    data = csv_bytes(*rows)
    progress: list[int] = []
    before = snapshot()
    # when the file is imported
    plan = import_apply(school=school, data=data, on_progress=progress.append)
    # then every row was imported
    assert plan.is_valid, [row.errors for row in plan.rows if row.errors][:3]
    after = snapshot()
    assert after["users"] - before["users"] == 10_000
    assert after["memberships"] - before["memberships"] == 10_000
    assert after["classrooms"] - before["classrooms"] == 20
    assert after["seats"] - before["seats"] == 9_950
    assert after["enrollments"] - before["enrollments"] == 9_950
    assert course.teachers.count() == 51
    assert User.objects.get(username="s00010").check_password("Secret-pass-9876")
    assert progress[-1] == 10_000
    assert len(progress) == 20


# --- jobs --------------------------------------------------------------------------------------


def job_for(school, data: bytes, *, dry_run: bool, created_by=None) -> ImportJob:
    upload = SimpleUploadedFile("people.csv", data, content_type="text/csv")
    created_by = created_by or Membership.objects.filter(school=school, role=Role.ADMIN)[0].user
    return import_job_create(
        school=school, created_by=created_by, uploaded_file=upload, dry_run=dry_run
    )


def test_a_dry_run_job_stores_a_report_and_writes_nothing(course_world, mixed_file):
    # given a dry-run job
    a = course_world["a"]
    job = job_for(a["school"], mixed_file, dry_run=True, created_by=a[Role.ADMIN])
    before = snapshot()
    # when it runs
    job = import_job_run(job=job)
    # then its report lists every row and nothing was imported
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED
    assert (job.total_rows, job.processed_rows) == (3, 3)
    assert job.finished_at is not None
    assert job.report["valid"] is True
    assert job.report["dry_run"] is True
    assert job.report["summary"]["accounts"] == 2
    assert job.report["rows"][0]["line"] == 2
    assert job.report["rows"][0]["actions"][0] == "Create account wang.xm (王小明)"
    assert snapshot() == before


def test_a_real_job_imports_the_file(course_world, mixed_file):
    job = import_job_run(job=job_for(course_world["a"]["school"], mixed_file, dry_run=False))
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED
    assert job.report["phase"] == "done"
    assert User.objects.filter(username__in=["wang.xm", "li.t"]).count() == 2


def test_a_job_with_an_invalid_file_fails_with_the_errors_in_its_report(course_world):
    data = csv_bytes("new.one,,,student,,NOPE-9,")
    job = import_job_run(job=job_for(course_world["a"]["school"], data, dry_run=False))
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.report["valid"] is False
    assert job.report["rows"][0]["errors"] == ["Unknown course code “NOPE-9”."]
    assert not User.objects.filter(username="new.one").exists()


def test_a_job_that_breaks_ends_failed_not_running(course_world, mixed_file, monkeypatch):
    # given an import that raises an unexpected error while applying
    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imports, "import_apply", broken)
    job = job_for(course_world["a"]["school"], mixed_file, dry_run=False)
    # when the job runs
    import_job_run(job=job)
    # then it failed, saying why and where
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.finished_at is not None
    assert job.report["phase"] == "applying"
    assert "disk on fire" in job.report["errors"][0]


def test_a_large_report_keeps_the_first_rows_and_every_error(school_world):
    rows = [f"u{i},,,student,,," for i in range(1_200)] + ["bad,,,principal,,,"]
    job = job_for(school_world["a"]["school"], csv_bytes(*rows), dry_run=True)
    import_job_run(job=job)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert len(job.report["rows"]) == 1_001
    assert job.report["rows"][-1]["line"] == 1_202
    assert job.report["rows_omitted"] == 200
    assert "200 other rows are left out" in job.report["note"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("people.xlsx", b"username,role\n", "Upload a .csv file."),
        ("people.csv", b"x" * (5 * 1024 * 1024 + 1), "larger than 5 MiB"),
        ("people.csv", b"", "The file is empty."),
    ],
)
def test_job_create_refuses_other_and_large_files(school_world, name, content, message):
    upload = SimpleUploadedFile(name, content)
    with pytest.raises(ValidationError, match=message):
        import_job_create(
            school=school_world["a"]["school"],
            created_by=school_world["a"][Role.ADMIN],
            uploaded_file=upload,
            dry_run=True,
        )
    assert not ImportJob.objects.exists()


def test_a_small_job_runs_at_once(school_world):
    job = job_for(school_world["a"]["school"], csv_bytes("u1,,,student,,,"), dry_run=False)
    job = import_job_start(job=job)
    assert job.status == ImportStatus.SUCCEEDED
    assert User.objects.filter(username="u1").exists()


def test_a_large_job_is_queued_after_commit(
    school_world, monkeypatch, django_capture_on_commit_callbacks
):
    # given a job of more than 500 rows
    sent: list[int] = []
    monkeypatch.setattr(import_job_run_task, "delay", sent.append)
    data = csv_bytes(*(f"u{i},,,student,,," for i in range(501)))
    job = job_for(school_world["a"]["school"], data, dry_run=True)
    # when it is started
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_job_start(job=job)
    # then it is sent to a worker once the transaction commits, and has not run here
    assert len(callbacks) == 1
    assert sent == [job.pk]
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING


def test_the_task_does_not_run_a_finished_job_again(school_world):
    job = job_for(school_world["a"]["school"], csv_bytes("u1,,,student,,,"), dry_run=True)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED)
    assert import_job_run_task(job.pk) == ImportStatus.FAILED
    job.refresh_from_db()
    assert job.report == {}


@pytest.mark.django_db(transaction=True)
def test_the_task_runs_a_job_in_a_real_worker(celery_worker_thread):
    # given a real-run job of a school
    school = SchoolFactory(slug="worker-school")
    admin = member(school, Role.ADMIN, username="worker_admin")
    data = csv_bytes("w.one,,,student,Class W,,", "w.two,,,teacher,,,")
    job = job_for(school, data, dry_run=False, created_by=admin)
    # when it is sent through the broker to a worker
    result = import_job_run_task.delay(job.pk)
    # then the worker imported the file
    assert result.get(timeout=60) == ImportStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED
    assert roles_of("w.one", school) == {Role.STUDENT}
    assert roles_of("w.two", school) == {Role.TEACHER}
