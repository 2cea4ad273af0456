from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One recorded action. Written only by `audit.record()`, inside the action's transaction.

    The hash chain, the log's pages and its export come with the activity-log capability;
    the columns they need are here from the start.
    """

    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("dossier"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    # Kept as text too: the log must still say who acted after an account is deleted.
    actor_label = models.CharField(_("auteur (texte)"), max_length=320, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("type d'objet"), max_length=64, blank=True)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    object_repr = models.CharField(_("objet"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=300, blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        ordering = ("-id",)
        verbose_name = _("événement")
        verbose_name_plural = _("événements")
        indexes = [models.Index(fields=["dossier", "-id"], name="audit_dossier_recent")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr}"
