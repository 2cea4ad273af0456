"""Unsubscribe tokens: a signed (user, kind) that lets an email's recipient say "no more".

The token is what the email carries in `List-Unsubscribe` (RFC 8058) and in its footer.
It is signed with the secret key and a salt of its own (a token signed for anything else
never validates here), timestamped, and accepted for UNSUBSCRIBE_MAX_AGE. It grants one
thing only: turning that person's emails of that kind off. Nothing is stored.

`kind` is a NotificationKind value, or DIGEST for the daily digest email (which turns off
every kind the person receives in the digest).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core import signing

from .models import NotificationKind

SALT = "comptoir.notifications.unsubscribe"
UNSUBSCRIBE_MAX_AGE = datetime.timedelta(days=365)
# Not a kind of event: the digest email's own token.
DIGEST = "digest"


class TokenInvalid(Exception):
    """Tampered, truncated, signed for something else, or naming an unknown kind."""


class TokenExpired(TokenInvalid):
    """Genuine but older than UNSUBSCRIBE_MAX_AGE."""


@dataclass(frozen=True)
class Unsubscribe:
    user_id: int
    kind: str  # a NotificationKind value, or DIGEST


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    if kind != DIGEST and kind not in NotificationKind.values:
        raise ValueError(f"Unknown notification kind: {kind!r}")
    return signing.dumps({"u": user_id, "k": kind}, salt=SALT, compress=True)


def unsubscribe_read(token: str) -> Unsubscribe:
    try:
        data = signing.loads(token, salt=SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.SignatureExpired as expired:
        raise TokenExpired from expired
    except (signing.BadSignature, ValueError, TypeError) as bad:
        raise TokenInvalid from bad
    if not isinstance(data, dict):
        raise TokenInvalid
    user_id, kind = data.get("u"), data.get("k")
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise TokenInvalid
    if not isinstance(kind, str) or (kind != DIGEST and kind not in NotificationKind.values):
        raise TokenInvalid
    return Unsubscribe(user_id=user_id, kind=kind)
