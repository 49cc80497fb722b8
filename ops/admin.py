from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "status", "progress", "attempts", "created_at", "finished_at")
    list_filter = ("status", "name")
    readonly_fields = [field.name for field in Job._meta.fields]

    def has_add_permission(self, request):
        # Jobs are created by ops.jobs.enqueue, which also queues the task.
        return False
