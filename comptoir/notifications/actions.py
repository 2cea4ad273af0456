"""Every write on notifications: sending one (row + email after commit), marking read.

`notification_send` is what the other apps call, usually from inside their own action's
transaction: the row is part of that transaction (rolled back with it), and the email
leaves only once it has committed. Titles and bodies arrive already rendered in the
recipient's language (the caller knows the event's words); the email around them is
rendered here, in `user.language`.

Marking read is private to the person and changes no dossier data: no audit event.
Email preferences are the person's too, but they decide what reaches an inbox (and can be
changed by a link in an email, without logging in): their changes are audited, with no
dossier.

The daily digest (`notification_digests_send`, run hourly by the worker) mails each
person, once a day after DIGEST_HOUR (local time, settings.TIME_ZONE), the notifications
that waited for it, created before that morning's DIGEST_HOUR.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor, record
from comptoir.core.mail import email_send
from comptoir.dossiers.actions import ActionRefused

from .models import (
    DEFAULT_DELIVERY,
    EmailDelivery,
    Notification,
    NotificationDigest,
    NotificationKind,
    NotificationPreference,
)
from .selectors import delivery_for, preferences_of
from .tokens import DIGEST, unsubscribe_token

if TYPE_CHECKING:
    from comptoir.accounts.models import User
    from comptoir.dossiers.models import Dossier

logger = logging.getLogger(__name__)

# What a demo or a development machine answers on when no BASE_URL is configured.
DEFAULT_BASE_URL = "http://localhost:8000"


def safe_path(url: str) -> bool:
    """A path on Comptoir itself ("/d/x/"), never another site ("//evil", "https://…")."""
    return (
        url.startswith("/")
        and not url.startswith("//")
        and url_has_allowed_host_and_scheme(url, allowed_hosts=None)
    )


def base_url() -> str:
    """Comptoir's public address, for links in emails sent outside any request.

    Notifications are often sent by the worker or after a public page (a share link
    opened): there is no request to ask. BASE_URL (https://comptoir.cabinet.fr) when the
    operator sets it, else the demo's address.
    """
    return (settings.BASE_URL or DEFAULT_BASE_URL).rstrip("/")


def absolute_url(path: str) -> str:
    return base_url() + path


def unsubscribe_url(*, user_id: int, kind: str) -> str:
    """The absolute address that turns `kind` off for the user (see tokens.py)."""
    token = unsubscribe_token(user_id=user_id, kind=kind)
    return absolute_url(reverse("notifications:unsubscribe", args=[token]))


def email_headers(*, unsubscribe: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click`."""
    return {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def _email_notification(notification_id: int) -> None:
    """The one place a notification becomes an email, as its recipient chose for its kind.

    Immediately: mailed now. Daily digest: marked as waiting (`email_pending_since`) for
    the digest job. Never: nothing. `emailed_at` is claimed by a conditional UPDATE before
    sending, so a notification is mailed once at most, whoever runs this.
    """
    notification = (
        Notification.objects.select_related("user", "dossier").filter(pk=notification_id).first()
    )
    if notification is None:  # deleted meanwhile (its user or dossier was removed)
        return
    user = notification.user
    if not user.is_active or not user.email:
        return
    delivery = delivery_for(user=user, kind=notification.kind)
    if delivery == EmailDelivery.NEVER:
        return
    unsent = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True)
    if delivery == EmailDelivery.DIGEST:
        unsent.filter(email_pending_since__isnull=True).update(email_pending_since=timezone.now())
        return
    if not unsent.update(emailed_at=timezone.now()):
        return  # already mailed
    list_url = absolute_url(reverse("notifications:list"))
    unsubscribe = unsubscribe_url(user_id=user.pk, kind=notification.kind)
    try:
        email_send(
            template_prefix="notifications/email/notification",
            to=[user.email],
            language=user.language or settings.LANGUAGE_CODE,
            context={
                "title": notification.title,
                "body": notification.body,
                "url": absolute_url(notification.url) if notification.url else list_url,
                "list_url": list_url,
                "preferences_url": absolute_url(reverse("notifications:preferences")),
                "unsubscribe_url": unsubscribe,
                "kind": notification.get_kind_display,
                "dossier": notification.dossier.name if notification.dossier else "",
                "name": user.get_full_name(),
            },
            headers=email_headers(unsubscribe=unsubscribe),
        )
    except Exception:
        # Not sent: `emailed_at` says what happened, not what was attempted.
        Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
        raise


@transaction.atomic
def notification_send(
    *,
    user: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dossier: Dossier | None = None,
    email: bool = True,
) -> Notification:
    """Tell `user` about an event: in the app at once, by email after commit.

    `title` and `body` must already be in the user's language (plain text, escaped when
    shown). `url` is a path inside Comptoir; anything else is a programming error.
    """
    if kind not in NotificationKind.values:
        raise ValueError(f"Unknown notification kind: {kind!r}")
    if url and not safe_path(url):
        raise ValueError(f"A notification links inside Comptoir only, not to {url!r}")
    notification = Notification.objects.create(
        user=user,
        dossier=dossier,
        kind=kind,
        title=Truncator(str(title)).chars(200),
        body=str(body),
        url=url,
    )
    if email:
        notification_id = notification.pk
        # robust: the event has happened and is saved; a mail server failing must not
        # turn the person's action into an error page. It is logged.
        transaction.on_commit(lambda: _email_notification(notification_id), robust=True)
    return notification


@transaction.atomic
def notifications_mark_read(
    *, user: User, notification: Notification | None = None, url: str | None = None
) -> int:
    """Mark one of `user`'s notifications read, those leading to `url` (a task's page, once
    opened), or all of them; answers how many changed.

    Filtered by user: someone else's notification is never touched. Already read ones keep
    the time they were first read.
    """
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification is not None:
        unread = unread.filter(pk=notification.pk)
    if url is not None:
        unread = unread.filter(url=url)
    return unread.update(read_at=timezone.now())


# --- Preferences --------------------------------------------------------------------------


def _preferences_write(*, user: User, deliveries: Mapping[str, str]) -> dict[str, list[str]]:
    """Store `deliveries` for `user`; answers {kind: [before, after]} for those that changed.

    The person's rows are locked first, and written with one upsert: two changes at once
    (two tabs, a click in an email) apply one after the other, never fail on the unique
    constraint.
    """
    for kind, delivery in deliveries.items():
        if kind not in NotificationKind.values or delivery not in EmailDelivery.values:
            raise ActionRefused(_("Ce choix de notification n'existe pas."))
    existing = dict(
        NotificationPreference.objects.select_for_update()
        .filter(user=user)
        .values_list("kind", "delivery")
    )
    changed = {
        kind: [existing.get(kind, DEFAULT_DELIVERY), delivery]
        for kind, delivery in deliveries.items()
        if existing.get(kind, DEFAULT_DELIVERY) != delivery
    }
    if changed:
        NotificationPreference.objects.bulk_create(
            [
                NotificationPreference(user=user, kind=kind, delivery=after)
                for kind, (_before, after) in changed.items()
            ],
            update_conflicts=True,
            unique_fields=["user", "kind"],
            update_fields=["delivery", "updated_at"],
        )
    return changed


@transaction.atomic
def notification_preferences_update(
    *, actor: Actor, user: User, deliveries: Mapping[str, str]
) -> dict[str, list[str]]:
    """The person's choices from the preferences page; answers what changed."""
    changed = _preferences_write(user=user, deliveries=deliveries)
    if changed:
        record(
            actor=actor,
            action="notification_preferences.changed",
            target=user,
            details={"changed": changed},
        )
    return changed


@transaction.atomic
def notification_unsubscribe(*, actor: Actor, user: User, kind: str) -> list[str]:
    """An email's unsubscribe link: its kind's emails off (`DIGEST`: every kind that went
    to the digest). Answers the kinds turned off; doing it twice changes nothing."""
    if kind == DIGEST:
        kinds = [k for k, d in preferences_of(user=user).items() if d == EmailDelivery.DIGEST]
    elif kind in NotificationKind.values:
        kinds = [kind]
    else:
        raise ActionRefused(_("Ce lien de désabonnement n'est pas valable."))
    changed = _preferences_write(user=user, deliveries=dict.fromkeys(kinds, EmailDelivery.NEVER))
    if changed:
        record(
            actor=actor,
            action="notification_preferences.unsubscribed",
            target=user,
            details={"link": kind, "changed": changed},
        )
    return list(changed)


# --- The daily digest ---------------------------------------------------------------------

DIGEST_HOUR = 7
# The email lists this many; the rest is one link away (the list).
DIGEST_MAX_ITEMS = 50


def digest_cutoff(now: datetime.datetime) -> datetime.datetime | None:
    """This morning's DIGEST_HOUR (local time), or None before it: no digest before then."""
    local = timezone.localtime(now)
    if local.hour < DIGEST_HOUR:
        return None
    day = local.date()
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(DIGEST_HOUR)), local.tzinfo
    )


def notification_digests_send(*, now: datetime.datetime) -> int:
    """Send every digest due at `now` (one transaction per person); answers how many."""
    cutoff = digest_cutoff(now)
    if cutoff is None:
        return 0
    user_ids = list(
        Notification.objects.filter(email_pending_since__isnull=False, created_at__lt=cutoff)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    sent = 0
    for user_id in user_ids:
        try:
            if notification_digest_send(user_id=user_id, now=now) is not None:
                sent += 1
        except Exception:
            # One person's failure (a database hiccup) must not stop the others' digests.
            logger.exception("The daily digest of user #%s failed", user_id)
    return sent


@transaction.atomic
def notification_digest_send(*, user_id: int, now: datetime.datetime) -> NotificationDigest | None:
    """One person's digest, if due: at most one per day, never a notification twice.

    The person's row is locked, then "no digest since this morning's cutoff" is checked
    under the lock: two workers never both send. The notifications listed are claimed by
    the same transaction (`emailed_at`), the email leaves after commit.
    """
    from comptoir.accounts.models import User

    cutoff = digest_cutoff(now)
    if cutoff is None:
        return None
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None or NotificationDigest.objects.filter(user=user, sent_at__gte=cutoff).exists():
        return None
    waiting = Notification.objects.filter(
        user=user, email_pending_since__isnull=False, emailed_at__isnull=True, created_at__lt=cutoff
    )
    turned_off = [k for k, d in preferences_of(user=user).items() if d == EmailDelivery.NEVER]
    if not user.is_active or not user.email:
        waiting.update(email_pending_since=None)  # nobody to mail: they stop waiting
        return None
    # Turned off since they started waiting: they stay in the app, not in the email.
    waiting.filter(kind__in=turned_off).update(email_pending_since=None)
    listed = waiting.exclude(kind__in=turned_off).order_by("created_at", "id")
    ids = list(listed.values_list("pk", flat=True))
    if not ids:
        return None
    Notification.objects.filter(pk__in=ids).update(email_pending_since=None, emailed_at=now)
    digest = NotificationDigest.objects.create(user=user, sent_at=now, count=len(ids))
    digest_id = digest.pk
    # robust: the notifications are in the app whatever happens to the mail server.
    transaction.on_commit(lambda: _email_digest(digest_id, ids), robust=True)
    return digest


def _email_digest(digest_id: int, notification_ids: list[int]) -> None:
    digest = NotificationDigest.objects.select_related("user").filter(pk=digest_id).first()
    if digest is None:
        return
    user = digest.user
    rows = list(
        Notification.objects.filter(pk__in=notification_ids)
        .select_related("dossier")
        .order_by("-created_at", "-id")[:DIGEST_MAX_ITEMS]
    )
    list_url = absolute_url(reverse("notifications:list"))
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        items = [
            {
                "title": row.title,
                "body": row.body,
                "kind": str(row.get_kind_display()),
                "dossier": row.dossier.name if row.dossier else "",
                "url": absolute_url(row.url) if row.url and safe_path(row.url) else list_url,
                "created_at": row.created_at,
            }
            for row in rows
        ]
    unsubscribe = unsubscribe_url(user_id=user.pk, kind=DIGEST)
    email_send(
        template_prefix="notifications/email/digest",
        to=[user.email],
        language=language,
        context={
            "items": items,
            "count": digest.count,
            "more": max(digest.count - len(items), 0),
            "list_url": list_url,
            "preferences_url": absolute_url(reverse("notifications:preferences")),
            "unsubscribe_url": unsubscribe,
            "name": user.get_full_name(),
        },
        headers=email_headers(unsubscribe=unsubscribe),
    )
