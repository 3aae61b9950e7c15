from django.urls import path

from courses.api import admin, authoring, views

app_name = "courses-api"

urlpatterns = [
    path("", views.CourseListApi.as_view(), name="course-list"),
    path("<int:course_id>/", views.CourseDetailApi.as_view(), name="course-detail"),
    path("<int:course_id>/enroll/", views.CourseEnrollApi.as_view(), name="course-enroll"),
    path("enrollments/mine/", views.MyEnrollmentListApi.as_view(), name="my-enrollments"),
    path("programs/", views.ProgramListApi.as_view(), name="program-list"),
    path("programs/<int:program_id>/", views.ProgramDetailApi.as_view(), name="program-detail"),
    path(
        "programs/<int:program_id>/enroll/",
        views.ProgramEnrollApi.as_view(),
        name="program-enroll",
    ),
    path("lessons/<int:lesson_id>/", views.LessonDetailApi.as_view(), name="lesson-detail"),
    path(
        "lessons/<int:lesson_id>/progress/",
        views.LessonProgressApi.as_view(),
        name="lesson-progress",
    ),
    path(
        "lessons/<int:lesson_id>/complete/",
        views.LessonCompleteApi.as_view(),
        name="lesson-complete",
    ),
    # Teachers of a course and admins of its school
    path("manage/", authoring.ManagedCourseListApi.as_view(), name="manage-course-list"),
    path(
        "manage/<int:course_id>/", authoring.ManagedCourseDetailApi.as_view(), name="manage-course"
    ),
    path(
        "manage/<int:course_id>/publish/",
        authoring.CoursePublishApi.as_view(),
        name="manage-publish",
    ),
    path(
        "manage/<int:course_id>/duplicate/",
        authoring.CourseDuplicateApi.as_view(),
        name="manage-duplicate",
    ),
    path(
        "manage/<int:course_id>/modules/",
        authoring.CourseContentApi.as_view(),
        name="manage-modules",
    ),
    path(
        "manage/<int:pk>/modules/order/",
        authoring.ModuleOrderApi.as_view(),
        name="manage-module-order",
    ),
    path(
        "manage/<int:course_id>/knowledge-points/",
        authoring.KnowledgePointListApi.as_view(),
        name="manage-kp-list",
    ),
    path("modules/<int:module_id>/", authoring.ModuleDetailApi.as_view(), name="manage-module"),
    path(
        "modules/<int:module_id>/duplicate/",
        authoring.ModuleDuplicateApi.as_view(),
        name="manage-module-duplicate",
    ),
    path(
        "modules/<int:module_id>/lessons/",
        authoring.ModuleLessonsApi.as_view(),
        name="manage-lesson-create",
    ),
    path(
        "modules/<int:pk>/lessons/order/",
        authoring.LessonOrderApi.as_view(),
        name="manage-lesson-order",
    ),
    path(
        "lessons/<int:lesson_id>/manage/", authoring.LessonManageApi.as_view(), name="manage-lesson"
    ),
    path(
        "lessons/<int:lesson_id>/duplicate/",
        authoring.LessonDuplicateApi.as_view(),
        name="manage-lesson-duplicate",
    ),
    path(
        "lessons/<int:lesson_id>/blocks/", authoring.LessonBlocksApi.as_view(), name="manage-blocks"
    ),
    path(
        "lessons/<int:pk>/blocks/order/",
        authoring.BlockOrderApi.as_view(),
        name="manage-block-order",
    ),
    path("blocks/<int:block_id>/", authoring.BlockManageApi.as_view(), name="manage-block"),
    path(
        "knowledge-points/<int:kp_id>/",
        authoring.KnowledgePointDetailApi.as_view(),
        name="manage-kp",
    ),
    path(
        "knowledge-points/<int:kp_id>/prerequisites/",
        authoring.KnowledgePointPrerequisiteApi.as_view(),
        name="manage-kp-prerequisites",
    ),
    # School admins (teachers may read their course's roster)
    path(
        "manage/<int:course_id>/enrollments/",
        admin.CourseEnrollmentsApi.as_view(),
        name="manage-enrollments",
    ),
    path(
        "manage/<int:course_id>/enrollments/<int:enrollment_id>/drop/",
        admin.EnrollmentDropApi.as_view(),
        name="manage-enrollment-drop",
    ),
    path(
        "manage/<int:course_id>/classrooms/",
        admin.ClassroomEnrollmentApi.as_view(),
        name="manage-classroom-enrollment",
    ),
    path("enrollments/export/", admin.EnrollmentExportApi.as_view(), name="enrollments-export"),
    path("imports/", admin.ImportJobCreateApi.as_view(), name="import-create"),
    path("imports/<int:job_id>/", admin.ImportJobDetailApi.as_view(), name="import-detail"),
]
