from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from lms.models import Classroom, ClassroomStudent, Membership, School, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["school"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Pathwise"), {"fields": ("display_name",)}),
    )
    list_display = ("username", "display_name", "email", "is_active", "is_staff")
    search_fields = ("username", "display_name", "first_name", "last_name", "email")
    inlines = [MembershipInline]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "school", "role", "created_at")
    list_filter = ("role", "school")
    search_fields = ("user__username", "user__display_name", "school__name")
    autocomplete_fields = ["user", "school"]
    list_select_related = ("user", "school")


class ClassroomStudentInline(admin.TabularInline):
    model = ClassroomStudent
    extra = 0
    autocomplete_fields = ["student"]


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ("name", "school", "created_at")
    list_filter = ("school",)
    search_fields = ("name",)
    autocomplete_fields = ["school", "homeroom_teachers"]
    inlines = [ClassroomStudentInline]
    list_select_related = ("school",)
