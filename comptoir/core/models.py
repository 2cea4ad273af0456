from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxEmail(models.Model):
    """An email kept instead of sent, when no EMAIL_URL is configured (demo, trial).

    Staff read them at /outbox/, so the person running the demo sees invitations and
    password-reset links without an SMTP server.
    """

    created_at = models.DateTimeField(_("créé le"), auto_now_add=True, db_index=True)
    from_email = models.CharField(_("expéditeur"), max_length=320)
    to = models.TextField(_("destinataires"))
    subject = models.CharField(_("objet"), max_length=998)
    body_text = models.TextField(_("texte"))
    body_html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("en-têtes"), default=dict, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("e-mail conservé")
        verbose_name_plural = _("e-mails conservés")

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class InstanceMarker(models.Model):
    """One-time facts about this installation (e.g. 'demo data loaded')."""

    key = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class ScheduledJob(models.Model):
    """When a periodic job (core/scheduler.py) runs next: one row per job name.

    Every worker ticks the scheduler; a worker enqueues a due job only if its UPDATE moved
    `next_run_at` forward, so two workers never both enqueue the same run.
    """

    name = models.CharField(_("nom"), max_length=100, unique=True)
    next_run_at = models.DateTimeField(_("prochaine exécution"))
    last_run_at = models.DateTimeField(_("dernière exécution"), null=True, blank=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("tâche périodique")
        verbose_name_plural = _("tâches périodiques")

    def __str__(self) -> str:
        return self.name
