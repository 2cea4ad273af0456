"""Every write on share links: create, revoke, the dossier's policy, and what recipients do.

Dossier side, the view has checked the permission (`dossier_view`); the action checks the
business rules again (the demo data and other callers do not go through a form).
Recipient side, the actor is the link itself: `link_actor()` gives an Actor without a user
whose label ("lien de partage #12") is what the activity log shows.

Download limit: every file counts, one by one. A ZIP of three documents counts three
downloads, and a ZIP that would go past the limit is refused (single files still work):
the limit means "this many files leave the dossier", whatever the button used.

Wrong passwords are throttled per link and per client address, from the
`ShareLinkAccess` rows of kind `password_failed` of the last 30 minutes (the database is
shared by every web process): from the third failure each try waits 2^(n-3) seconds (at
most a minute), and after ten the link answers 429 until the oldest of them is 30 minutes
old. See `share_link_password_attempt` for how concurrent tries are counted.
"""

from __future__ import annotations

import datetime
import logging
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.audit.actions import Actor, record
from comptoir.core.mail import email_send
from comptoir.documents.access import documents_visible
from comptoir.documents.models import Document
from comptoir.dossiers.access import DossierAccess
from comptoir.dossiers.actions import ActionRefused
from comptoir.dossiers.models import Dossier
from comptoir.dossiers.permissions import Permission

from .access import link_state
from .models import (
    AccessKind,
    LinkState,
    ShareLink,
    ShareLinkAccess,
    ShareLinkDocument,
    ShareLinkRecipient,
    SharePolicy,
    token_digest,
)

__all__ = ["ActionRefused"]

logger = logging.getLogger(__name__)

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
MESSAGE_MAX_LENGTH = 2000
MAX_RECIPIENTS = 20
MAX_DOCUMENTS = 100
MAX_DOWNLOADS_LIMIT = 10_000
MAX_EXPIRY_DAYS = 3650

PASSWORD_WINDOW = datetime.timedelta(minutes=30)
PASSWORD_MAX_FAILURES = 10
PASSWORD_FREE_FAILURES = 3
PASSWORD_MAX_DELAY = 60  # seconds


def _new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 random bits


def policy_of(dossier: Dossier) -> SharePolicy:
    """The dossier's policy; an unsaved one without rules when none was ever set."""
    return SharePolicy.objects.filter(dossier=dossier).first() or SharePolicy(dossier=dossier)


def expiry_from_date(day: datetime.date) -> datetime.datetime:
    """A link "valid until 12 March" works all that day: it expires at the next midnight."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def expiry_cap(
    policy: SharePolicy, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    if policy.max_expiry_days is None:
        return None
    today = timezone.localdate(now or timezone.now())
    return expiry_from_date(today + datetime.timedelta(days=policy.max_expiry_days))


def recipients_clean(recipients: Iterable[str]) -> list[str]:
    """Lower-cased, de-duplicated, each one a valid address; ActionRefused otherwise."""
    cleaned: list[str] = []
    invalid: list[str] = []
    for raw in recipients:
        email = (raw or "").strip().lower()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            invalid.append(email[:80])
            continue
        if email not in cleaned:
            cleaned.append(email)
    if invalid:
        raise ActionRefused(
            ngettext(
                "Cette adresse e-mail n'est pas valide : %(emails)s.",
                "Ces adresses e-mail ne sont pas valides : %(emails)s.",
                len(invalid),
            )
            % {"emails": ", ".join(invalid[:5]) + ("…" if len(invalid) > 5 else "")}
        )
    if not cleaned:
        raise ActionRefused(_("Indiquez au moins une adresse e-mail de destinataire."))
    if len(cleaned) > MAX_RECIPIENTS:
        raise ActionRefused(
            _("Un lien peut être envoyé à %(n)s destinataires au plus.") % {"n": MAX_RECIPIENTS}
        )
    return cleaned


def _base_url(base_url: str) -> str:
    # Links made from a page know their address (the view passes it); the demo data and
    # commands fall back to the configured one, else the demo's default address.
    from comptoir.notifications.actions import base_url as configured_base_url

    return base_url.rstrip("/") if base_url else configured_base_url()


def link_url(token: str, base_url: str = "") -> str:
    return _base_url(base_url) + reverse("sharing:public", args=[token])


# --- Creating and revoking ----------------------------------------------------------------


def _send_link_emails(link_id: int, token: str, base_url: str) -> None:
    link = ShareLink.objects.select_related("dossier", "created_by").get(pk=link_id)
    sender = link.created_by
    documents = list(Document.objects.filter(share_link_entries__link=link).order_by("name", "id"))
    context = {
        "url": link_url(token, base_url),
        "sender": sender.display_name if sender else "",
        "dossier": link.dossier.name,
        "message": link.message,
        "documents": [d.name for d in documents],
        "expires_at": link.expires_at,
        "valid_through": link.last_valid_day,
        "has_password": link.has_password,
        "max_downloads": link.max_downloads,
    }
    headers = {"Reply-To": sender.email} if sender else {}
    for recipient in link.recipients.all():
        try:
            email_send(
                template_prefix="sharing/email/link",
                to=[recipient.email],
                context=context,
                headers=headers,
            )
        except Exception:
            # The link exists and is listed; the sender sees who it was sent to and can
            # copy it. One failing address must not stop the others.
            logger.exception("Share link #%s: an email could not be sent", link_id)


@transaction.atomic
def share_link_create(
    *,
    actor: Actor,
    access: DossierAccess,
    documents: list[Document],
    recipients: list[str],
    expires_at: datetime.datetime | None = None,
    password: str = "",
    message: str = "",
    max_downloads: int | None = None,
    notify_first_open: bool = False,
    base_url: str = "",
) -> tuple[ShareLink, str]:
    """A new link and its token (shown once: only its hash is kept). Each recipient gets an
    email with the link and the message, never the password."""
    if not access.has(Permission.DOCUMENT_SHARE):
        raise ActionRefused(_("Vous ne pouvez pas partager de documents dans ce dossier."))
    now = timezone.now()
    policy = policy_of(access.dossier)

    wanted = {d.pk for d in documents}
    if not wanted:
        raise ActionRefused(_("Choisissez au moins un document à partager."))
    if len(wanted) > MAX_DOCUMENTS:
        raise ActionRefused(
            _("Un lien peut contenir %(n)s documents au plus.") % {"n": MAX_DOCUMENTS}
        )
    shared = list(documents_visible(access).filter(pk__in=wanted, current_version__isnull=False))
    if len(shared) != len(wanted):
        raise ActionRefused(
            _("Un des documents choisis n'est plus disponible : rechargez la page.")
        )
    emails = recipients_clean(recipients)

    if expires_at is not None and timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)
    cap = expiry_cap(policy, now)
    if expires_at is None and cap is not None:
        raise ActionRefused(
            _("Les règles du dossier demandent une date d'expiration (%(n)s jours au plus).")
            % {"n": policy.max_expiry_days}
        )
    if expires_at is not None and expires_at <= now:
        raise ActionRefused(_("La date d'expiration doit être dans le futur."))
    if expires_at is not None and cap is not None and expires_at > cap:
        raise ActionRefused(
            _("Les règles du dossier limitent la validité d'un lien à %(n)s jours.")
            % {"n": policy.max_expiry_days}
        )

    if password and not (PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH):
        raise ActionRefused(
            _("Le mot de passe doit compter au moins %(n)s caractères.")
            % {"n": PASSWORD_MIN_LENGTH}
        )
    if not password and policy.require_password:
        raise ActionRefused(_("Les règles du dossier demandent un mot de passe pour chaque lien."))
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        raise ActionRefused(
            _("Le message compte %(n)s caractères au plus.") % {"n": MESSAGE_MAX_LENGTH}
        )
    if max_downloads is not None and not (1 <= max_downloads <= MAX_DOWNLOADS_LIMIT):
        raise ActionRefused(
            _("Le nombre de téléchargements doit être compris entre 1 et %(n)s.")
            % {"n": MAX_DOWNLOADS_LIMIT}
        )

    token = _new_token()
    link = ShareLink.objects.create(
        dossier=access.dossier,
        token_hash=token_digest(token),
        created_by=actor.user,
        expires_at=expires_at,
        password_hash=make_password(password) if password else "",
        message=message,
        max_downloads=max_downloads,
        notify_first_open=notify_first_open,
    )
    ShareLinkDocument.objects.bulk_create(
        [ShareLinkDocument(link=link, document=d) for d in shared]
    )
    ShareLinkRecipient.objects.bulk_create(
        [ShareLinkRecipient(link=link, email=email) for email in emails]
    )
    record(
        actor=actor,
        action="share_link.created",
        dossier=access.dossier,
        target=link,
        details={
            "documents": [{"id": d.pk, "name": d.name} for d in shared],
            "recipients": emails,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "password": bool(password),
            "message": bool(message),
            "max_downloads": max_downloads,
            "notify_first_open": notify_first_open,
        },
    )
    transaction.on_commit(lambda: _send_link_emails(link.pk, token, base_url))
    return link, token


@transaction.atomic
def share_link_revoke(*, actor: Actor, access: DossierAccess, link: ShareLink) -> ShareLink:
    if not access.has(Permission.DOCUMENT_SHARE):
        raise ActionRefused(_("Vous ne pouvez pas gérer les liens de partage de ce dossier."))
    locked = ShareLink.objects.select_for_update().get(pk=link.pk, dossier=access.dossier)
    if locked.revoked_at is not None:
        raise ActionRefused(_("Ce lien est déjà révoqué."))
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor.user
    locked.save(update_fields=["revoked_at", "revoked_by"])
    record(actor=actor, action="share_link.revoked", dossier=access.dossier, target=locked)
    return locked


@transaction.atomic
def sharing_policy_update(
    *,
    actor: Actor,
    access: DossierAccess,
    require_password: bool,
    max_expiry_days: int | None,
) -> SharePolicy:
    if not access.has(Permission.SETTINGS_MANAGE):
        raise ActionRefused(_("Seuls les gestionnaires du dossier modifient ses règles."))
    if max_expiry_days is not None and not (1 <= max_expiry_days <= MAX_EXPIRY_DAYS):
        raise ActionRefused(
            _("La durée maximale doit être comprise entre 1 et %(n)s jours.")
            % {"n": MAX_EXPIRY_DAYS}
        )
    policy, _created = SharePolicy.objects.select_for_update().get_or_create(dossier=access.dossier)
    before = {
        "require_password": policy.require_password,
        "max_expiry_days": policy.max_expiry_days,
    }
    policy.require_password = require_password
    policy.max_expiry_days = max_expiry_days
    policy.updated_by = actor.user
    policy.save()
    after = {"require_password": require_password, "max_expiry_days": max_expiry_days}
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changed:
        record(
            actor=actor,
            action="sharing_policy.updated",
            dossier=access.dossier,
            target=policy,
            details={"changed": changed},
        )
    return policy


# --- What recipients do -------------------------------------------------------------------


def link_actor(link: ShareLink, *, ip: str | None, user_agent: str = "") -> Actor:
    """The link acts, not an account (even when the visitor happens to be logged in)."""
    return Actor(user=None, ip=ip, user_agent=user_agent[:300], label=f"lien de partage #{link.pk}")


def _notify_first_open(link: ShareLink) -> None:
    creator = link.created_by
    if creator is None:
        return
    recipients = ", ".join(link.recipients.values_list("email", flat=True))
    with translation.override(creator.language or settings.LANGUAGE_CODE):
        title = _("Votre lien de partage a été ouvert")
        body = _(
            "Le lien de partage envoyé à %(recipients)s (dossier %(dossier)s) "
            "vient d'être ouvert pour la première fois."
        ) % {"recipients": recipients, "dossier": link.dossier.name}
    url = reverse("sharing:link_detail", args=[link.dossier.slug, link.pk])
    try:
        # Imported here: sharing does not depend on the notification centre to load.
        from comptoir.notifications.actions import notification_send

        with transaction.atomic():
            notification_send(
                user=creator,
                kind="link_opened",
                title=title,
                body=body,
                url=url,
                dossier=link.dossier,
                email=True,
            )
    except Exception:
        # The recipient must get the documents even if the notice fails; it is logged.
        logger.exception("Share link #%s: the first-open notification failed", link.pk)


@transaction.atomic
def share_link_open_record(*, actor: Actor, link: ShareLink) -> ShareLink:
    """One view of the documents page (after the password): recorded, counted; the first
    one tells the creator when asked."""
    locked = (
        ShareLink.objects.select_for_update(of=("self",))
        .select_related("dossier", "created_by")
        .get(pk=link.pk)
    )
    first = locked.first_opened_at is None
    ShareLinkAccess.objects.create(
        link=locked, kind=AccessKind.OPEN, ip=actor.ip, user_agent=actor.user_agent
    )
    locked.open_count = F("open_count") + 1
    update = ["open_count"]
    if first:
        locked.first_opened_at = timezone.now()
        update.append("first_opened_at")
    locked.save(update_fields=update)
    locked.refresh_from_db(fields=["open_count"])
    record(
        actor=actor,
        action="share_link.opened",
        dossier=locked.dossier,
        target=locked,
        details={"first": first},
    )
    if first and locked.notify_first_open:
        _notify_first_open(locked)
    return locked


def downloads_refusal(link: ShareLink, count: int) -> str | None:
    """Why `count` more files may not be downloaded through the link now, if they may not."""
    left = link.downloads_left
    if left is None or count <= left:
        return None
    if left == 0:
        return _("Ce lien a atteint son nombre maximal de téléchargements.")
    return ngettext(
        "Il ne reste qu'%(n)s téléchargement sur ce lien : téléchargez les documents un par un.",
        "Il ne reste que %(n)s téléchargements sur ce lien : téléchargez les documents un par un.",
        left,
    ) % {"n": left}


@transaction.atomic
def share_link_downloads_record(
    *, actor: Actor, link: ShareLink, documents: list[Document], as_zip: bool = False
) -> ShareLink:
    """Count and record the files about to be sent (one per document, a ZIP included).

    Runs before the first byte goes out, under the link's row lock: two recipients racing
    for the last download cannot both get it.
    """
    locked = ShareLink.objects.select_for_update().select_related("dossier").get(pk=link.pk)
    state = link_state(locked, now=timezone.now(), creator_can_share=True, served_count=1)
    if state in {LinkState.REVOKED, LinkState.EXPIRED}:
        raise ActionRefused(_("Ce lien n'est plus valable."))
    refusal = downloads_refusal(locked, len(documents))
    if refusal:
        raise ActionRefused(refusal)
    ShareLinkAccess.objects.bulk_create(
        [
            ShareLinkAccess(
                link=locked,
                kind=AccessKind.DOWNLOAD,
                ip=actor.ip,
                user_agent=actor.user_agent,
                document=document,
                version=document.current_version,
                document_name=document.name[:255],
            )
            for document in documents
        ]
    )
    locked.download_count = F("download_count") + len(documents)
    locked.save(update_fields=["download_count"])
    locked.refresh_from_db(fields=["download_count"])
    for document in documents:
        version = document.current_version
        record(
            actor=actor,
            action="share_link.downloaded",
            dossier=locked.dossier,
            target=document,
            details={
                "link": locked.pk,
                "version": version.number if version else None,
                "sha256": version.sha256 if version else None,
                "zip": as_zip,
            },
        )
    return locked


# --- Passwords ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    # Ten failures in thirty minutes: no more tries until the oldest of them is old enough.
    blocked: bool = False
    # The growing delay: seconds to wait before the next try is even looked at.
    wait_seconds: int = 0

    @property
    def allows_attempt(self) -> bool:
        return not self.blocked and self.wait_seconds <= 0

    @property
    def wait_minutes(self) -> int:
        return math.ceil(self.wait_seconds / 60)


def password_throttle(
    *, link: ShareLink, ip: str | None, now: datetime.datetime | None = None
) -> Throttle:
    now = now or timezone.now()
    failures = ShareLinkAccess.objects.filter(
        kind=AccessKind.PASSWORD_FAILED, at__gt=now - PASSWORD_WINDOW
    )
    series = [failures.filter(link=link)]
    if ip:
        series.append(failures.filter(ip=ip))
    blocked_until: datetime.datetime | None = None
    wait_until: datetime.datetime | None = None
    for queryset in series:
        times = list(queryset.order_by("-at").values_list("at", flat=True)[:PASSWORD_MAX_FAILURES])
        n = len(times)
        if n >= PASSWORD_MAX_FAILURES:
            until = times[PASSWORD_MAX_FAILURES - 1] + PASSWORD_WINDOW
            blocked_until = max(blocked_until or until, until)
        elif n >= PASSWORD_FREE_FAILURES:
            delay = min(2 ** (n - PASSWORD_FREE_FAILURES), PASSWORD_MAX_DELAY)
            until = times[0] + datetime.timedelta(seconds=delay)
            wait_until = max(wait_until or until, until)
    if blocked_until is not None:
        return Throttle(
            blocked=True, wait_seconds=max(1, math.ceil((blocked_until - now).total_seconds()))
        )
    if wait_until is not None and wait_until > now:
        return Throttle(wait_seconds=max(1, math.ceil((wait_until - now).total_seconds())))
    return Throttle()


@dataclass(frozen=True)
class PasswordAnswer:
    accepted: bool
    # False: the throttle refused to look at the password at all.
    checked: bool
    throttle: Throttle


def share_link_password_attempt(*, actor: Actor, link: ShareLink, password: str) -> PasswordAnswer:
    """Check a recipient's password, within the throttle.

    The try is written down as a failure *before* the (slow, constant-time) hash check,
    in a short transaction holding the link's row: concurrent tries each see the others,
    so a burst of parallel requests cannot get more than the allowed tries. A right
    password then removes its row; a wrong one is recorded in the activity log. The lock
    is not held during the hash check, which would stall every writer on SQLite.
    """
    with transaction.atomic():
        locked = ShareLink.objects.select_for_update().select_related("dossier").get(pk=link.pk)
        throttle = password_throttle(link=locked, ip=actor.ip)
        if not throttle.allows_attempt:
            return PasswordAnswer(accepted=False, checked=False, throttle=throttle)
        attempt = ShareLinkAccess.objects.create(
            link=locked, kind=AccessKind.PASSWORD_FAILED, ip=actor.ip, user_agent=actor.user_agent
        )
    accepted = bool(locked.password_hash) and check_password(password, locked.password_hash)
    if accepted:
        ShareLinkAccess.objects.filter(pk=attempt.pk).delete()
        return PasswordAnswer(accepted=True, checked=True, throttle=Throttle())
    with transaction.atomic():
        record(
            actor=actor, action="share_link.password_failed", dossier=locked.dossier, target=locked
        )
    return PasswordAnswer(
        accepted=False, checked=True, throttle=password_throttle(link=locked, ip=actor.ip)
    )
