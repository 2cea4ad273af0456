"""The top bar's bell: the unread count, computed only when a template shows it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils.functional import cached_property

from .selectors import UNREAD_CAP, unread_count

if TYPE_CHECKING:
    from comptoir.accounts.models import User


class UnreadBadge:
    """Lazy: a fragment that does not show the bell (htmx partials) costs no query."""

    def __init__(self, user: User) -> None:
        self._user = user

    @cached_property
    def count(self) -> int:
        return unread_count(user=self._user)

    @property
    def over_cap(self) -> bool:
        return self.count > UNREAD_CAP

    @property
    def shown(self) -> str:
        return f"{UNREAD_CAP}+" if self.over_cap else str(self.count)


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}  # anonymous pages: no bell, no query
    return {"notifications_unread": UnreadBadge(user)}
