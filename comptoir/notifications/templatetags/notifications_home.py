"""`{% notifications_unread_in dossier user %}`: a person's unread notifications about one
dossier, for the dossier home. Always filtered by user: nobody sees another's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

from ..selectors import notifications_for

if TYPE_CHECKING:
    from comptoir.accounts.models import User
    from comptoir.dossiers.models import Dossier

register = template.Library()

HOME_NOTIFICATIONS = 5


@register.inclusion_tag("notifications/_home_unread.html")
def notifications_unread_in(dossier: Dossier, user: User) -> dict[str, Any]:
    rows = list(
        notifications_for(user=user).filter(dossier=dossier, read_at__isnull=True)[
            : HOME_NOTIFICATIONS + 1
        ]
    )
    return {"notifications": rows[:HOME_NOTIFICATIONS], "more": len(rows) > HOME_NOTIFICATIONS}
