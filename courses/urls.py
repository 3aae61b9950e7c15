from django.urls import path

from courses.views import admin, authoring, media, programs, student

app_name = "courses"

urlpatterns = [
    # Students
    path("", student.catalog, name="catalog"),
    path("<int:course_id>/", student.course_detail, name="course_detail"),
    path("<int:course_id>/enroll/", student.course_enroll, name="course_enroll"),
    path("lessons/<int:lesson_id>/", student.lesson_detail, name="lesson_detail"),
    path("lessons/<int:lesson_id>/complete/", student.lesson_mark_complete, name="lesson_complete"),
    path("programs/<int:program_id>/", student.program_detail, name="program_detail"),
    path("blocks/<int:block_id>/file/", media.block_file, {"field": "file"}, name="block_file"),
    path(
        "blocks/<int:block_id>/captions/",
        media.block_file,
        {"field": "captions"},
        name="block_captions",
    ),
    path("<int:course_id>/cover/", media.course_cover, name="course_cover"),
    path("code.css", media.code_css, name="code_css"),
    path("programs/<int:program_id>/enroll/", student.program_enroll_view, name="program_enroll"),
    # Teachers and admins
    path("teach/", authoring.teach, name="teach"),
    path("new/", authoring.course_create, name="course_create"),
    path("<int:course_id>/edit/", authoring.course_edit, name="course_edit"),
    path("<int:course_id>/publish/", authoring.course_publish, name="course_publish"),
    path("<int:course_id>/duplicate/", authoring.course_duplicate, name="course_duplicate"),
    path("<int:course_id>/delete/", authoring.course_delete, name="course_delete"),
    path("<int:course_id>/modules/new/", authoring.module_create, name="module_create"),
    path("<int:course_id>/roster/", authoring.roster, name="roster"),
    path("<int:course_id>/knowledge-points/", authoring.knowledge_points, name="knowledge_points"),
    path(
        "<int:course_id>/knowledge-points/prerequisites/remove/",
        authoring.prerequisite_remove,
        name="prerequisite_remove",
    ),
    path(
        "<int:course_id>/knowledge-points/<int:kp_id>/edit/",
        authoring.knowledge_point_edit,
        name="knowledge_point_edit",
    ),
    path(
        "<int:course_id>/knowledge-points/<int:kp_id>/delete/",
        authoring.knowledge_point_delete,
        name="knowledge_point_delete",
    ),
    path("modules/<int:module_id>/rename/", authoring.module_rename, name="module_rename"),
    path("modules/<int:module_id>/move/", authoring.module_move, name="module_move"),
    path("modules/<int:module_id>/delete/", authoring.module_delete, name="module_delete"),
    path("modules/<int:module_id>/duplicate/", authoring.module_duplicate, name="module_duplicate"),
    path("modules/<int:module_id>/lessons/new/", authoring.lesson_create, name="lesson_create"),
    path("lessons/<int:lesson_id>/edit/", authoring.lesson_edit, name="lesson_edit"),
    path("lessons/<int:lesson_id>/move/", authoring.lesson_move, name="lesson_move"),
    path("lessons/<int:lesson_id>/duplicate/", authoring.lesson_duplicate, name="lesson_duplicate"),
    path("lessons/<int:lesson_id>/delete/", authoring.lesson_delete, name="lesson_delete"),
    path("lessons/<int:lesson_id>/blocks/new/", authoring.block_create, name="block_create"),
    path("blocks/<int:block_id>/edit/", authoring.block_edit, name="block_edit"),
    path("blocks/<int:block_id>/move/", authoring.block_move, name="block_move"),
    path("blocks/<int:block_id>/delete/", authoring.block_delete, name="block_delete"),
    path(
        "<int:course_id>/roster.csv",
        admin.course_enrollments_export,
        name="course_enrollments_export",
    ),
    # School admins
    path("<int:course_id>/enroll/classroom/", admin.enroll_classroom, name="enroll_classroom"),
    path(
        "<int:course_id>/enroll/classroom/<int:classroom_id>/stop/",
        admin.unenroll_classroom,
        name="unenroll_classroom",
    ),
    path("<int:course_id>/enroll/student/", admin.enroll_student, name="enroll_student"),
    path(
        "<int:course_id>/enrollments/<int:enrollment_id>/drop/",
        admin.drop_enrollment,
        name="drop_enrollment",
    ),
    path("enrollments.csv", admin.enrollments_export, name="enrollments_export"),
    path("programs/manage/", programs.program_list, name="program_list"),
    path("programs/<int:program_id>/edit/", programs.program_edit, name="program_edit"),
    path("programs/<int:program_id>/publish/", programs.program_publish, name="program_publish"),
    path(
        "programs/<int:program_id>/steps/<int:step_id>/",
        programs.program_step_move,
        name="program_step",
    ),
    path("import/", admin.import_start, name="import"),
    path("import/<int:job_id>/", admin.import_job, name="import_job"),
    path("import/<int:job_id>/confirm/", admin.import_job_confirm, name="import_job_confirm"),
]
