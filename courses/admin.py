from django.contrib import admin
from django.db import models

from courses.models import (
    ClassroomEnrollment,
    ContentBlock,
    Course,
    Enrollment,
    ImportJob,
    KnowledgePoint,
    KnowledgePointPrerequisite,
    Lesson,
    LessonProgress,
    Module,
    Program,
    ProgramCourse,
    ProgramEnrollment,
    Tag,
)


class ViewOnlyAdmin(admin.ModelAdmin):
    """
    Courses are changed in the course editor, whose services keep rendered Markdown, the cached
    outline and the acyclic prerequisite graphs right; the admin site only shows them.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnlyInline:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ModuleInline(ViewOnlyInline, admin.TabularInline):
    model = Module
    extra = 0
    fields = ("title", "position")


@admin.register(Course)
class CourseAdmin(ViewOnlyAdmin):
    list_display = ("code", "title", "school", "subject", "level", "is_published")
    list_filter = ("school", "level", "is_published")
    search_fields = ("code", "title", "subject")
    autocomplete_fields = ("school", "teachers", "tags")
    inlines = [ModuleInline]
    readonly_fields = ("description_html", "content_version")


class ContentBlockInline(ViewOnlyInline, admin.StackedInline):
    model = ContentBlock
    extra = 0
    readonly_fields = ("body_html",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Lesson)
class LessonAdmin(ViewOnlyAdmin):
    list_display = ("title", "module", "position", "estimated_minutes")
    list_select_related = ("module", "module__course")
    search_fields = ("title", "module__course__code")
    autocomplete_fields = ("knowledge_points", "prerequisites")
    inlines = [ContentBlockInline]


class PrerequisiteInline(ViewOnlyInline, admin.TabularInline):
    model = KnowledgePointPrerequisite
    fk_name = "knowledge_point"
    extra = 0
    autocomplete_fields = ("prerequisite",)


@admin.register(KnowledgePoint)
class KnowledgePointAdmin(ViewOnlyAdmin):
    list_display = ("name", "course")
    search_fields = ("name", "course__code")
    inlines = [PrerequisiteInline]


@admin.register(Enrollment)
class EnrollmentAdmin(ViewOnlyAdmin):
    list_display = ("student", "course", "status", "source", "created_at")
    list_filter = ("status", "source")
    search_fields = ("student__username", "course__code")
    list_select_related = ("student", "course")
    autocomplete_fields = ("student", "course")


class ProgramCourseInline(ViewOnlyInline, admin.TabularInline):
    model = ProgramCourse
    extra = 0
    autocomplete_fields = ("course",)


@admin.register(Program)
class ProgramAdmin(ViewOnlyAdmin):
    list_display = ("title", "school", "audience", "level", "is_published")
    list_filter = ("school", "audience", "is_published")
    inlines = [ProgramCourseInline]


@admin.register(ImportJob)
class ImportJobAdmin(ViewOnlyAdmin):
    list_display = ("filename", "school", "dry_run", "status", "total_rows", "created_at")
    list_filter = ("status", "dry_run")
    readonly_fields = ("report",)


@admin.register(Tag)
class TagAdmin(ViewOnlyAdmin):
    search_fields = ("name",)
    list_display = ("name", "school")


admin.site.register([Module, ClassroomEnrollment, LessonProgress, ProgramEnrollment], ViewOnlyAdmin)
