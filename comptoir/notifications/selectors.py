"""Reads of a person's notifications. Always filtered by user: nobody sees another's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import DEFAULT_DELIVERY, Notification, NotificationKind, NotificationPreference

if TYPE_CHECKING:
    from comptoir.accounts.models import User

# The badge says "99+" beyond this: counting further would only cost time.
UNREAD_CAP = 99


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """The list page's rows, newest first, with the dossier's name in the same query."""
    return (
        Notification.objects.filter(user=user)
        .select_related("dossier")
        .only(
            "id",
            "kind",
            "title",
            "body",
            "url",
            "created_at",
            "read_at",
            "dossier__id",
            "dossier__name",
            "dossier__slug",
        )
        .order_by("-created_at", "-id")
    )


def unread_count(*, user: User) -> int:
    """One indexed COUNT, bounded: at most UNREAD_CAP + 1 rows are ever counted."""
    return Notification.objects.filter(user=user, read_at__isnull=True)[: UNREAD_CAP + 1].count()


def notification_of(*, user: User, pk: int) -> Notification | None:
    """The user's own notification `pk`; None for another's and for a missing one alike."""
    return Notification.objects.filter(user=user, pk=pk).first()


def preferences_of(*, user: User) -> dict[str, str]:
    """Every kind's email delivery for `user` (default where no row), in the kinds' order."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, DEFAULT_DELIVERY) for kind in NotificationKind.values}


def delivery_for(*, user: User, kind: str) -> str:
    chosen = (
        NotificationPreference.objects.filter(user=user, kind=kind)
        .values_list("delivery", flat=True)
        .first()
    )
    return chosen or DEFAULT_DELIVERY
