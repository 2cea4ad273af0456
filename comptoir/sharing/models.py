"""Share links (« liens de partage »): documents of a dossier for people without an account.

Only the SHA-256 of a link's token is stored, like invitations: a database leak does not
leak working links. A link's password is hashed with Django's password hashers. Every
open, download and wrong password is a `ShareLinkAccess` row (the wrong-password rows are
also what the throttle counts, so it holds across processes) and an audit event.
"""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LinkState(models.TextChoices):
    ACTIVE = "active", _("Actif")
    EXPIRED = "expired", _("Expiré")
    REVOKED = "revoked", _("Révoqué")
    EXHAUSTED = "exhausted", _("Épuisé")
    # Its documents are all in the trash (or gone), or its creator lost the right to share.
    INACTIVE = "inactive", _("Inactif")


class SharePolicy(models.Model):
    """A dossier's rules for new links. No row: no rule."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="share_policy"
    )
    require_password = models.BooleanField(_("mot de passe obligatoire"), default=False)
    # None: no cap (and no expiry required). A number: an expiry date is required, at most
    # this many days ahead.
    max_expiry_days = models.PositiveIntegerField(
        _("durée de validité maximale (jours)"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("règles de partage")
        verbose_name_plural = _("règles de partage")

    def __str__(self) -> str:
        return f"{self.dossier}"


class ShareLink(models.Model):
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="share_links", db_index=True
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    # Empty: no password.
    password_hash = models.CharField(max_length=256, blank=True)
    message = models.TextField(_("message"), blank=True)
    max_downloads = models.PositiveIntegerField(
        _("nombre maximal de téléchargements"), null=True, blank=True
    )
    # Kept on the row (updated with the access rows) so that lists need no counting.
    download_count = models.PositiveIntegerField(_("téléchargements"), default=0)
    open_count = models.PositiveIntegerField(_("ouvertures"), default=0)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notify_first_open = models.BooleanField(_("prévenir à la première ouverture"), default=False)
    first_opened_at = models.DateTimeField(_("première ouverture"), null=True, blank=True)
    documents = models.ManyToManyField(
        "documents.Document", through="ShareLinkDocument", related_name="share_links"
    )

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("lien de partage")
        verbose_name_plural = _("liens de partage")
        indexes = [models.Index(fields=["dossier", "-created_at"], name="sharelink_recent")]

    def __str__(self) -> str:
        return f"lien de partage #{self.pk}"

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    @property
    def last_valid_day(self) -> datetime.date | None:
        """The last whole day the link works, when it expires at a local midnight (links
        made from the form do: "valid until 12 March" means through that day)."""
        if self.expires_at is None:
            return None
        local = timezone.localtime(self.expires_at)
        if local.time() != datetime.time.min:
            return None
        return local.date() - datetime.timedelta(days=1)

    @property
    def downloads_left(self) -> int | None:
        if self.max_downloads is None:
            return None
        return max(0, self.max_downloads - self.download_count)


class ShareLinkDocument(models.Model):
    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="link_documents")
    # A purged document (trash retention over) leaves the link: it cannot serve it anyway.
    document = models.ForeignKey(
        "documents.Document", on_delete=models.CASCADE, related_name="share_link_entries"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "document"], name="sharelink_document_unique")
        ]

    def __str__(self) -> str:
        return f"{self.link} → {self.document_id}"


class ShareLinkRecipient(models.Model):
    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="recipients")
    email = models.EmailField(_("adresse e-mail"))

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(fields=["link", "email"], name="sharelink_recipient_unique")
        ]

    def __str__(self) -> str:
        return self.email


class AccessKind(models.TextChoices):
    OPEN = "open", _("Ouverture")
    DOWNLOAD = "download", _("Téléchargement")
    PASSWORD_FAILED = "password_failed", _("Mot de passe erroné")


class ShareLinkAccess(models.Model):
    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="accesses")
    kind = models.CharField(_("type"), max_length=16, choices=AccessKind.choices)
    at = models.DateTimeField(_("date"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=300, blank=True)
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )
    version = models.ForeignKey(
        "documents.DocumentVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("version"),
    )
    # The name at the time: the record still says which file after a purge.
    document_name = models.CharField(_("fichier"), max_length=255, blank=True)

    class Meta:
        ordering = ("-at", "-id")
        verbose_name = _("accès au lien")
        verbose_name_plural = _("accès aux liens")
        indexes = [
            # The throttle's two questions: failures of this link, failures from this address.
            models.Index(fields=["link", "kind", "at"], name="sharelink_access_link"),
            models.Index(fields=["ip", "kind", "at"], name="sharelink_access_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.link_id} {self.at:%Y-%m-%d %H:%M}"
