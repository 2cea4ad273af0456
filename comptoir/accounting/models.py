"""The general ledger of a dossier: its chart, entries and their lines, batches.

An entry never changes once written (database triggers, migration 0002): only its batch
and its number (EcritureNum, given at collection) move, and on its lines only the
lettering. A correction is a new entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from comptoir.dossiers.models import Dossier


class Journal(models.TextChoices):
    SALES = "VE", _("Ventes")
    BANK = "BQ", _("Banque")


class Account(models.Model):
    """A line of the dossier's chart: its number and label (the PCG defaults otherwise)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="accounts")
    number = models.CharField(_("numéro"), max_length=20)
    label = models.CharField(_("libellé"), max_length=200)

    class Meta:
        ordering = ("number",)
        constraints = [
            models.UniqueConstraint(fields=["dossier", "number"], name="account_number_unique")
        ]
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")

    def __str__(self) -> str:
        return f"{self.number} {self.label}"


class AccountMapping(models.Model):
    """Which account the dossier uses for a role: `customers`, `bank`, `revenue_services`,
    `revenue_goods`, or `vat:<rate>` (rate with two decimals, e.g. `vat:20.00`)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40)
    account = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dossier", "key"], name="account_mapping_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.account}"


class Batch(models.Model):
    """A lot d'écritures: every entry not yet collected up to a date, collected at once.

    Its FEC and CSV files are written at collection and kept with their SHA-256, so a
    download months later is the same bytes (lettering done since does not show there).
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="batches")
    sequence = models.PositiveIntegerField(_("numéro"))
    up_to = models.DateField(_("jusqu'au"))
    created_at = models.DateTimeField(_("collecté le"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    entries_count = models.PositiveIntegerField(_("écritures"), default=0)
    total = models.DecimalField(_("total débit"), default=0, max_digits=14, decimal_places=2)
    fec_name = models.CharField(max_length=40, blank=True)
    fec_path = models.CharField(max_length=200, blank=True)
    fec_sha256 = models.CharField(max_length=64, blank=True)
    csv_path = models.CharField(max_length=200, blank=True)
    csv_sha256 = models.CharField(max_length=64, blank=True)
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ("-sequence",)
        constraints = [
            models.UniqueConstraint(fields=["dossier", "sequence"], name="batch_sequence_unique")
        ]
        verbose_name = _("lot d'écritures")
        verbose_name_plural = _("lots d'écritures")

    def __str__(self) -> str:
        return f"Lot n° {self.sequence}"


class Entry(models.Model):
    """One accounting entry (écriture): a journal, a date, a piece, balanced lines."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="entries")
    journal = models.CharField(_("journal"), max_length=4, choices=Journal.choices)
    date = models.DateField(_("date"))
    # The closing date of the fiscal year holding `date`, fixed at posting.
    fiscal_year_end = models.DateField()
    piece_ref = models.CharField(_("pièce"), max_length=60)
    piece_date = models.DateField(_("date de la pièce"))
    label = models.CharField(_("libellé"), max_length=200)
    total = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    source = models.CharField(max_length=40)
    source_id = models.BigIntegerField()
    created_at = models.DateTimeField(_("enregistrée le"))
    # Set at collection (and back to null if that batch is cancelled): EcritureNum is
    # `number` within (journal, fiscal year), in date order within each batch.
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    number = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("-date", "-id")
        indexes = [
            models.Index(fields=["dossier", "date", "id"], name="entry_dossier_date"),
            models.Index(fields=["dossier", "batch", "date"], name="entry_dossier_batch"),
            models.Index(
                fields=["dossier", "journal", "fiscal_year_end", "number"], name="entry_number"
            ),
            models.Index(fields=["dossier", "source", "source_id"], name="entry_source"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "journal", "fiscal_year_end", "number"],
                name="entry_number_unique",
            ),
        ]
        verbose_name = _("écriture")
        verbose_name_plural = _("écritures")

    def __str__(self) -> str:
        return f"{self.journal} {self.piece_ref} {self.date:%d/%m/%Y}"

    @property
    def ecriture_num(self) -> str:
        return ecriture_num(self.journal, self.fiscal_year_end.year, self.number)


def ecriture_num(journal: str, year: int, number: int | None) -> str:
    """EcritureNum: journal, closing year and number, e.g. VE2026-000042 (unique in a FEC
    even when a batch spans two fiscal years)."""
    return f"{journal}{year}-{number:06d}" if number is not None else ""


class EntryLine(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="lines")
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    account = models.CharField(_("compte"), max_length=20)
    # The label as it was at posting: a later rename in the chart does not rewrite history.
    account_label = models.CharField(max_length=200)
    auxiliary = models.CharField(_("compte auxiliaire"), max_length=20, blank=True)
    auxiliary_label = models.CharField(max_length=200, blank=True)
    label = models.CharField(_("libellé"), max_length=200)
    debit = models.DecimalField(_("débit"), max_digits=14, decimal_places=2)
    credit = models.DecimalField(_("crédit"), max_digits=14, decimal_places=2)
    lettering = models.CharField(_("lettrage"), max_length=8, blank=True)
    lettered_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ("entry", "position")
        indexes = [
            models.Index(fields=["dossier", "account", "entry"], name="line_dossier_account"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["entry", "position"], name="line_position_unique"),
            models.CheckConstraint(
                condition=Q(debit__gte=0)
                & Q(credit__gte=0)
                & ((Q(debit=0) & Q(credit__gt=0)) | (Q(credit=0) & Q(debit__gt=0))),
                name="line_one_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.debit}/{self.credit}"


class LetteringSequence(models.Model):
    """The last lettering code given per dossier and account (locked while lettering)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    account = models.CharField(max_length=20)
    last_index = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dossier", "account"], name="lettering_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.last_index}"
