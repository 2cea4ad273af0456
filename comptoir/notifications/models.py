"""In-app notifications: one row per person and event, read or not.

A notification belongs to a person, not to a dossier: it is what that person was told,
so it is listed by user (the index serves both the list and the unread count). Its
`dossier` only says which dossier it is about (None for events outside any dossier).

In-app notifications are always kept; what a person chooses, per kind of event, is the
email (`NotificationPreference`: immediately, in the daily digest, never; no row means
immediately). A notification waiting for the digest has `email_pending_since`; once
mailed (alone or in a digest) it has `emailed_at`, and is never mailed again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    TASK_RECEIVED = "task_received", _("Tâche reçue")
    TASK_COMPLETED = "task_completed", _("Tâche terminée")
    STEP_NOT_APPLICABLE = "step_not_applicable", _("Étape marquée « Ne s'applique pas »")
    DOCUMENTS_UPLOADED = "documents_uploaded", _("Documents téléversés")
    APPROVAL_GIVEN = "approval_given", _("Approbation donnée")
    APPROVAL_DECLINED = "approval_declined", _("Approbation refusée")
    LINK_OPENED = "link_opened", _("Lien de partage ouvert")
    INVITATION_ACCEPTED = "invitation_accepted", _("Invitation acceptée")
    TASK_REMINDER = "task_reminder", _("Rappel de tâche")


class EmailDelivery(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immédiatement")
    DIGEST = "digest", _("Résumé quotidien")
    NEVER = "never", _("Jamais")


DEFAULT_DELIVERY = EmailDelivery.IMMEDIATELY


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("destinataire"),
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dossier"),
    )
    kind = models.CharField(_("type"), max_length=32, choices=NotificationKind.choices)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"), blank=True)
    # A path inside Comptoir ("/d/…/"), never an absolute URL: see actions.safe_path.
    url = models.CharField(_("adresse"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)
    # Waiting for the daily digest since (None: not waiting).
    email_pending_since = models.DateTimeField(null=True, blank=True)
    # Mailed (alone or in a digest) at; set once, so a notification is never mailed twice.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        # The unread count (user, read_at IS NULL) and the list (user, newest first).
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_read"),
            # The digest job's question: who has notifications waiting? (few rows, partial)
            models.Index(
                fields=["email_pending_since"],
                condition=models.Q(email_pending_since__isnull=False),
                name="notification_digest_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How one person wants the emails of one kind of event; no row: immediately."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("type"), max_length=32, choices=NotificationKind.choices)
    delivery = models.CharField(
        _("envoi par e-mail"),
        max_length=16,
        choices=EmailDelivery.choices,
        default=DEFAULT_DELIVERY,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("préférence de notification")
        verbose_name_plural = _("préférences de notification")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.delivery}"


class NotificationDigest(models.Model):
    """One daily digest email sent to a person: when, and how many notifications it listed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_digests"
    )
    sent_at = models.DateTimeField()
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ("-sent_at", "-id")
        indexes = [models.Index(fields=["user", "-sent_at"], name="notification_digest_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.sent_at:%Y-%m-%d}: {self.count}"
