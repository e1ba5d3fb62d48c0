from django.contrib import admin

from personas.models import (
    ChatMessage,
    Conversation,
    DataFile,
    ModelVersion,
    Persona,
    ShareLink,
    TrainingRun,
)


@admin.register(Persona)
class PersonaAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "owner", "updated_at")
    search_fields = ("name", "slug", "owner__username")


@admin.register(DataFile)
class DataFileAdmin(admin.ModelAdmin):
    list_display = ("original_name", "persona", "format", "status", "size", "uploaded_at")
    list_filter = ("status", "format")


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ("persona", "preset", "status", "step", "total_steps", "created_at")
    list_filter = ("status", "preset")


admin.site.register(ModelVersion)
admin.site.register(ShareLink)
admin.site.register(Conversation)
admin.site.register(ChatMessage)
