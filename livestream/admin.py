"""
Live lectures in Django's admin site, for looking things up. Everything here is read-only:
lectures, comments and questions change through their pages and services (which tell the
viewers), blocked words on /lectures/blocked-words/ (which also clears their cache).
"""

from django.contrib import admin

from livestream.models import BlockedWord, Danmaku, Lecture, LiveQuestion


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Lecture)
class LectureAdmin(ReadOnlyAdmin):
    list_display = ["title", "course", "teacher", "scheduled_at", "state"]
    list_filter = ["state"]
    search_fields = ["title", "course__code", "course__title"]


@admin.register(Danmaku)
class DanmakuAdmin(ReadOnlyAdmin):
    """The record of what was said, deleted comments included."""

    list_display = ["text", "lecture", "author", "video_time", "created_at", "hidden_at"]
    list_filter = ["confused"]
    search_fields = ["text", "author__username"]
    list_select_related = ["lecture", "author"]


@admin.register(LiveQuestion)
class LiveQuestionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "lecture", "kind", "opened_at", "closes_at", "revealed_at"]
    list_filter = ["kind"]
    list_select_related = ["lecture", "question"]


@admin.register(BlockedWord)
class BlockedWordAdmin(ReadOnlyAdmin):
    list_display = ["word", "school"]
    list_filter = ["school"]
    search_fields = ["word"]
