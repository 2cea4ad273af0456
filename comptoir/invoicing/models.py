"""Customers, products, quotes, invoices (and credit notes), payments, sendings.

Amounts are `Decimal` in columns of two decimals (quantities three); every total is
computed by `amounts.py` and stored, so a list never recomputes. An issued invoice is
frozen: its number, dates, parties (copied into `seller` / `buyer` at issue), lines and
totals can no longer change, refused by `actions_invoices` and, below it, by database
triggers (migration 0002). What still changes on an issued invoice is what happens after:
payments, credit notes, sendings.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from comptoir.dossiers.models import Dossier

from .validators import validate_siren_blank, validate_siret, validate_vat_number

ZERO = Decimal("0.00")


def money(verbose_name: object, **options: object) -> models.DecimalField:  # type: ignore[type-arg]
    return models.DecimalField(
        verbose_name,  # type: ignore[arg-type]
        max_digits=14,
        decimal_places=2,
        default=ZERO,
        **options,  # type: ignore[arg-type]
    )


class VatRate(models.TextChoices):
    """The French rates (8,5 and 2,1 also the overseas departments' ones)."""

    STANDARD = "20.00", _("20 %")
    INTERMEDIATE = "10.00", _("10 %")
    OVERSEAS = "8.50", _("8,5 %")
    REDUCED = "5.50", _("5,5 %")
    SUPER_REDUCED = "2.10", _("2,1 %")
    ZERO = "0.00", _("0 %")


class Unit(models.TextChoices):
    """UN/ECE Recommendation 20 codes (what the Factur-X XML carries)."""

    UNIT = "C62", _("unité")
    PIECE = "H87", _("pièce")
    HOUR = "HUR", _("heure")
    DAY = "DAY", _("jour")
    MONTH = "MON", _("mois")
    LUMP_SUM = "LS", _("forfait")
    KILOGRAM = "KGM", _("kg")
    METRE = "MTR", _("m")
    SQUARE_METRE = "MTK", _("m²")
    LITRE = "LTR", _("litre")


class ProductKind(models.TextChoices):
    SERVICE = "service", _("Prestation de services")
    GOODS = "goods", _("Livraison de biens")


# Plan comptable général: 706 services, 707 goods (the accounting app reads these).
DEFAULT_REVENUE_ACCOUNT = {ProductKind.SERVICE: "706000", ProductKind.GOODS: "707000"}


class InvoicingSettings(models.Model):
    """The seller's details and numbering choices of one dossier (name, SIREN and address
    come from the Dossier itself)."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="invoicing")
    legal_form = models.CharField(_("forme juridique"), max_length=60, blank=True)
    share_capital = models.DecimalField(
        _("capital social (€)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    rcs = models.CharField(
        _("immatriculation (RCS / RM)"),
        max_length=100,
        blank=True,
        help_text=_("Par exemple « RCS Lyon » ou « RM 69 »."),
    )
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    vat_number = models.CharField(
        _("numéro de TVA intracommunautaire"),
        max_length=20,
        blank=True,
        validators=[validate_vat_number],
    )
    vat_exempt = models.BooleanField(
        _("franchise en base de TVA (art. 293 B du CGI)"), default=False
    )
    vat_on_debits = models.BooleanField(
        _("option pour le paiement de la TVA d'après les débits"), default=False
    )
    email = models.EmailField(_("adresse de facturation électronique"), blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("délai de paiement (jours)"), default=30
    )
    late_penalty_rate = models.DecimalField(
        _("taux des pénalités de retard (% par an)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("12.15"),
        help_text=_(
            "Au moins trois fois le taux d'intérêt légal (art. L441-10 du Code de commerce)."
        ),
    )
    discount_terms = models.CharField(
        _("conditions d'escompte"),
        max_length=200,
        default="Pas d'escompte pour paiement anticipé.",
    )
    invoice_prefix = models.CharField(_("préfixe des factures"), max_length=10, default="F-")
    credit_note_prefix = models.CharField(_("préfixe des avoirs"), max_length=10, default="A-")
    quote_prefix = models.CharField(_("préfixe des devis"), max_length=10, default="D-")
    yearly_numbering = models.BooleanField(
        _("numérotation recommencée à chaque exercice"), default=True
    )

    class Meta:
        verbose_name = _("paramètres de facturation")
        verbose_name_plural = _("paramètres de facturation")

    def __str__(self) -> str:
        return str(self.dossier)


class NumberCounter(models.Model):
    """The last number given in one series (kind x fiscal year, 0 when never restarted).
    Issuing locks this row: two issues at once are served one after the other."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    series = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField(default=0)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "series", "year"], name="invoicing_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.last_number}"


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("Entreprise")
    PERSON = "person", _("Particulier")


class Customer(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(
        _("type"), max_length=8, choices=CustomerKind.choices, default=CustomerKind.COMPANY
    )
    name = models.CharField(_("nom ou raison sociale"), max_length=200)
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    country = models.CharField(_("pays (code ISO)"), max_length=2, default="FR")
    email = models.EmailField(_("adresse e-mail"), blank=True)
    siren = models.CharField(
        _("SIREN"), max_length=9, blank=True, validators=[validate_siren_blank]
    )
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    vat_number = models.CharField(
        _("numéro de TVA intracommunautaire"),
        max_length=20,
        blank=True,
        validators=[validate_vat_number],
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("délai de paiement (jours)"), null=True, blank=True
    )
    # The customer's auxiliary account under 411 (read by the accounting app).
    auxiliary_account = models.CharField(_("compte auxiliaire"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name", "id")
        verbose_name = _("client")
        verbose_name_plural = _("clients")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("invoicing:customer_edit", args=[self.dossier.slug, self.pk])

    @property
    def is_business(self) -> bool:
        return self.kind == CustomerKind.COMPANY


class Product(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("désignation"), max_length=200)
    kind = models.CharField(
        _("nature"), max_length=8, choices=ProductKind.choices, default=ProductKind.SERVICE
    )
    unit_price = models.DecimalField(_("prix unitaire HT"), max_digits=12, decimal_places=2)
    vat_rate = models.CharField(
        _("taux de TVA"), max_length=5, choices=VatRate.choices, default=VatRate.STANDARD
    )
    unit = models.CharField(_("unité"), max_length=3, choices=Unit.choices, default=Unit.UNIT)
    # The revenue account of the plan comptable (706000 services, 707000 goods by default).
    revenue_account = models.CharField(_("compte de produit"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name", "id")
        verbose_name = _("produit ou service")
        verbose_name_plural = _("produits et services")

    def __str__(self) -> str:
        return self.name


class LineBase(models.Model):
    """One line of a quote or an invoice; `net_amount` = quantity x unit price - discount,
    rounded half-up to the cent (amounts.line_net)."""

    position = models.PositiveSmallIntegerField(default=0)
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    designation = models.CharField(_("désignation"), max_length=300)
    kind = models.CharField(
        _("nature"), max_length=8, choices=ProductKind.choices, default=ProductKind.SERVICE
    )
    quantity = models.DecimalField(_("quantité"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unité"), max_length=3, choices=Unit.choices, default=Unit.UNIT)
    unit_price = models.DecimalField(_("prix unitaire HT"), max_digits=12, decimal_places=2)
    discount = models.DecimalField(_("remise (€)"), max_digits=12, decimal_places=2, default=ZERO)
    vat_rate = models.CharField(_("taux de TVA"), max_length=5, choices=VatRate.choices)
    net_amount = money(_("montant HT"))
    revenue_account = models.CharField(_("compte de produit"), max_length=20)

    class Meta:
        abstract = True
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.designation


class Document(models.Model):
    """What quotes and invoices share: the customer, the lines' totals."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("mentions libres"), blank=True)
    total_net = money(_("total HT"))
    total_vat = money(_("total TVA"))
    total_gross = money(_("total TTC"))
    # VAT per rate, as computed: [{"rate": "20.00", "base": "100.00", "vat": "20.00"}].
    vat_breakdown = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        abstract = True


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SENT = "sent", _("Envoyé")
    ACCEPTED = "accepted", _("Accepté")
    REFUSED = "refused", _("Refusé")
    EXPIRED = "expired", _("Expiré")


class Quote(Document):
    number = models.CharField(_("numéro"), max_length=40)
    status = models.CharField(
        _("état"), max_length=8, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    issue_date = models.DateField(_("date"))
    valid_until = models.DateField(_("valable jusqu'au"))
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)
        indexes = [models.Index(fields=["dossier", "-id"], name="invoicing_quote_list")]
        verbose_name = _("devis")
        verbose_name_plural = _("devis")

    def __str__(self) -> str:
        return _("Devis %(number)s") % {"number": self.number}

    def get_absolute_url(self) -> str:
        return reverse("invoicing:quote_detail", args=[self.dossier.slug, self.pk])


class QuoteLine(LineBase):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineBase.Meta):
        pass


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Facture")
    CREDIT_NOTE = "credit_note", _("Avoir")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    ISSUED = "issued", _("Émise")


class PaymentState(models.TextChoices):
    """What the lists show and filter on (derived from status, balance and due date)."""

    DRAFT = "draft", _("Brouillon")
    ISSUED = "issued", _("Émise")
    PARTLY_PAID = "partly_paid", _("Payée en partie")
    PAID = "paid", _("Payée")
    OVERDUE = "overdue", _("En retard")


class OperationCategory(models.TextChoices):
    GOODS = "goods", _("Livraison de biens")
    SERVICES = "services", _("Prestation de services")
    MIXED = "mixed", _("Livraison de biens et prestation de services")


class Invoice(Document):
    kind = models.CharField(
        _("type"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    status = models.CharField(
        _("état"), max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    # Empty while a draft; given at issue, never again.
    number = models.CharField(_("numéro"), max_length=40, blank=True)
    issue_date = models.DateField(_("date d'émission"), null=True, blank=True)
    sale_date = models.DateField(_("date de la vente ou de la prestation"), null=True, blank=True)
    due_date = models.DateField(_("date d'échéance"), null=True, blank=True)
    category = models.CharField(
        _("catégorie de l'opération"), max_length=8, choices=OperationCategory.choices, blank=True
    )
    delivery_address = models.TextField(_("adresse de livraison (si différente)"), blank=True)
    vat_exempt = models.BooleanField(default=False)
    vat_on_debits = models.BooleanField(default=False)
    # The parties as they were at issue (what the PDF and the XML print).
    seller = models.JSONField(default=dict)
    buyer = models.JSONField(default=dict)
    quote = models.ForeignKey(
        Quote, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices"
    )
    credited_invoice = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    # After issue: what payments and credit notes settled.
    amount_paid = money(_("payé"))
    amount_credited = money(_("crédité par avoir"))
    balance_due = money(_("reste dû"))
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ("-id",)
        indexes = [
            models.Index(fields=["dossier", "-id"], name="invoicing_invoice_list"),
            models.Index(fields=["dossier", "customer", "-id"], name="invoicing_invoice_cust"),
            # What is still owed, and the drafts: few rows however many invoices. Queries
            # repeat these conditions as literal SQL (selectors.OPEN_SQL, DRAFT_SQL): a
            # planner uses a partial index only for a WHERE that states its condition.
            models.Index(
                fields=["dossier", "due_date"],
                condition=models.Q(status="issued", kind="invoice", balance_due__gt=0),
                name="invoicing_invoice_open",
            ),
            models.Index(
                fields=["dossier"],
                condition=models.Q(status="draft"),
                name="invoicing_invoice_drafts",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "number"],
                condition=~models.Q(number=""),
                name="invoicing_invoice_number_unique",
            )
        ]
        verbose_name = _("facture")
        verbose_name_plural = _("factures")

    def __str__(self) -> str:
        label = _("Avoir") if self.kind == InvoiceKind.CREDIT_NOTE else _("Facture")
        return f"{label} {self.number or _('brouillon n° %(id)s') % {'id': self.pk}}"

    def get_absolute_url(self) -> str:
        return reverse("invoicing:invoice_detail", args=[self.dossier.slug, self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    def payment_state(self, today: object) -> str:
        if self.status == InvoiceStatus.DRAFT:
            return PaymentState.DRAFT
        if self.kind == InvoiceKind.CREDIT_NOTE:
            return PaymentState.ISSUED
        if self.balance_due <= 0:
            return PaymentState.PAID
        if self.due_date is not None and self.due_date < today:  # type: ignore[operator]
            return PaymentState.OVERDUE
        if self.amount_paid > 0:
            return PaymentState.PARTLY_PAID
        return PaymentState.ISSUED


class InvoiceLine(LineBase):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineBase.Meta):
        pass


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Virement")
    CARD = "card", _("Carte bancaire")
    CHEQUE = "cheque", _("Chèque")
    CASH = "cash", _("Espèces")
    DIRECT_DEBIT = "debit", _("Prélèvement")


class Payment(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    date = models.DateField(_("date"))
    method = models.CharField(_("moyen"), max_length=8, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    reference = models.CharField(_("référence"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ("date", "id")
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")

    def __str__(self) -> str:
        return _("Paiement de %(amount)s € du %(date)s") % {
            "amount": self.amount,
            "date": self.date.isoformat(),
        }


class InvoiceSending(models.Model):
    """One email of an invoice: when, to whom (the invoice page lists them)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="sendings")
    to = models.EmailField(_("destinataire"))
    copy_to = models.EmailField(_("copie à"), blank=True)
    subject = models.CharField(_("objet"), max_length=200)
    sent_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ("-sent_at", "-id")
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")

    def __str__(self) -> str:
        return f"{self.invoice} → {self.to}"
