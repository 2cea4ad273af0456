from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """For the operator to read the log: no add, change or delete, not even for a superuser
    (the database refuses them anyway; `comptoir audit-verify` checks the chain)."""

    list_display = ("id", "created_at", "dossier", "actor_label", "action", "object_repr", "seq")
    list_filter = ("action",)
    search_fields = ("actor_label", "action", "object_repr")
    list_select_related = ("dossier",)
    # `actor` is left out on purpose: for a deleted account the id points nowhere.
    fields = (
        "created_at",
        "dossier",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "ip",
        "user_agent",
        "details",
        "seq",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields
    actions = None
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
