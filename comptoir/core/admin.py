from django.contrib import admin

from .models import OutboxEmail


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "to", "subject")
    search_fields = ("to", "subject")
    readonly_fields = ("created_at", "from_email", "to", "subject", "body_text", "body_html")
