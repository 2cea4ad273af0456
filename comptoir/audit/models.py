from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One recorded action. Written only by `audit.record()`, inside the action's transaction.

    Events are chained per dossier (events without a dossier form one more chain): `seq`
    counts from 1 in its chain, `prev_hash` is the previous event's `hash`, and `hash` is
    the SHA-256 of this event's canonical content and `prev_hash` (see `audit/chain.py`).
    The database refuses UPDATE and DELETE on this table (triggers, migration 0003).
    """

    # Set by `record()` before hashing (auto_now_add would overwrite it at INSERT).
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("dossier"),
    )
    # Events are append-only (the database refuses UPDATE), so deleting an account cannot
    # null this column: the id stays as it was, without a database constraint, and
    # `actor_label` still says who acted. Read `actor_id`/`actor_label`, not `actor`: for a
    # deleted account `event.actor` raises (select_related gives None).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
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
    seq = models.PositiveBigIntegerField(_("rang dans la chaîne"), null=True, blank=True)
    prev_hash = models.CharField(_("empreinte précédente"), max_length=64, blank=True)
    hash = models.CharField(_("empreinte"), max_length=64, blank=True)

    class Meta:
        ordering = ("-id",)
        verbose_name = _("événement")
        verbose_name_plural = _("événements")
        indexes = [
            models.Index(fields=["dossier", "-id"], name="audit_dossier_recent"),
            models.Index(fields=["dossier", "actor", "-id"], name="audit_dossier_actor"),
            models.Index(fields=["dossier", "action", "-id"], name="audit_dossier_action"),
            models.Index(fields=["dossier", "object_type", "-id"], name="audit_dossier_objtype"),
            models.Index(fields=["dossier", "created_at", "id"], name="audit_dossier_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "seq"], name="audit_chain_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr}"


class AuditChain(models.Model):
    """The head of one hash chain: a dossier's, or (key "global") the events without one.

    `record()` locks this row (select_for_update) to append, so two actions in the same
    dossier at once get consecutive `seq` and a correct `prev_hash`.
    """

    key = models.CharField(max_length=40, unique=True)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.key} #{self.last_seq}"


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", "XLSX (Excel)"
    CSV = "csv", "CSV"


class ExportState(models.TextChoices):
    PENDING = "pending", _("En attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Prêt")
    FAILED = "failed", _("Échec")


class AuditExport(models.Model):
    """An export of a filtered view of the log, made by the worker when it is large.

    `dossier` is empty for an accountant's export across the dossiers they serve.
    `filters` holds the view's filters as the page's query string gave them.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    filters = models.JSONField(default=dict, blank=True)
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    delimiter = models.CharField(max_length=1, default=";")
    state = models.CharField(
        max_length=16, choices=ExportState.choices, default=ExportState.PENDING
    )
    rows_total = models.PositiveBigIntegerField(null=True, blank=True)
    rows_done = models.PositiveBigIntegerField(default=0)
    file = models.CharField(max_length=300, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)

    def __str__(self) -> str:
        return f"export #{self.pk} ({self.format}, {self.state})"
