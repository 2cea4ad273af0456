from __future__ import annotations

import datetime
import hashlib
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.fr import siren as stdnum_siren

from .permissions import Role


def validate_siren(value: str) -> None:
    if not stdnum_siren.is_valid(value):
        raise ValidationError(
            _("Ce numéro SIREN n'est pas valide (9 chiffres, clé de contrôle)."), code="siren"
        )


class Firm(models.Model):
    """A cabinet: its staff all serve the dossiers the firm was given access to."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    require_2fa = models.BooleanField(_("double authentification obligatoire"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("cabinet")
        verbose_name_plural = _("cabinets")

    def __str__(self) -> str:
        return self.name


class FirmMember(models.Model):
    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="firm_memberships"
    )
    is_admin = models.BooleanField(_("administrateur du cabinet"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm", "user"], name="firm_member_unique")]
        verbose_name = _("collaborateur du cabinet")
        verbose_name_plural = _("collaborateurs du cabinet")

    def __str__(self) -> str:
        return f"{self.user} @ {self.firm}"


class DossierQuerySet(models.QuerySet["Dossier"]):
    def alive(self) -> DossierQuerySet:
        return self.filter(deleted_at__isnull=True)


class Dossier(models.Model):
    """One business's space. Every dossier-owned row points here with a non-null FK."""

    name = models.CharField(_("raison sociale"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    siren = models.CharField(_("SIREN"), max_length=9, validators=[validate_siren], db_index=True)
    address = models.TextField(_("adresse"), blank=True)
    fiscal_year_end_month = models.PositiveSmallIntegerField(
        _("mois de clôture"), default=12, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    fiscal_year_end_day = models.PositiveSmallIntegerField(
        _("jour de clôture"), default=31, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    require_2fa = models.BooleanField(
        _("double authentification obligatoire"),
        default=False,
        help_text=_("Chaque membre doit activer la double authentification avant d'y accéder."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Deletion is soft: nothing a client did is lost by one click; the operator can restore.
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects: ClassVar[DossierQuerySet] = DossierQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("name",)
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.fiscal_year_end_day and self.fiscal_year_end_month:
            # 29 February is refused: a closing date must exist every year.
            days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][self.fiscal_year_end_month - 1]
            if self.fiscal_year_end_day > days:
                raise ValidationError(
                    {"fiscal_year_end_day": _("Ce jour n'existe pas dans ce mois.")}
                )


class Profile(models.Model):
    """A named set of permissions the owner composes (no support ticket needed)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="profiles")
    name = models.CharField(_("nom"), max_length=100)
    permissions = models.JSONField(_("permissions"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=["dossier", "name"], name="profile_name_unique")
        ]
        verbose_name = _("profil")
        verbose_name_plural = _("profils")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's access to one dossier, with one role (or a custom profile)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices)
    profile = models.ForeignKey(
        Profile, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    # For Utilisateur: the options the owner switched on (see permissions.USER_OPTIONS).
    extra_permissions = models.JSONField(default=list, blank=True)
    # Folder restriction, honoured by the documents capability: when restrict_folders is
    # on, only the folders listed are visible.
    restrict_folders = models.BooleanField(_("limité à certains dossiers"), default=False)
    visible_folder_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dossier", "user"], name="membership_unique")
        ]
        verbose_name = _("membre")
        verbose_name_plural = _("membres")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class FirmAccess(models.Model):
    """A firm serves a dossier: all its staff get the Comptable role there."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="firm_accesses")
    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="dossier_accesses")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dossier", "firm"], name="firm_access_unique")
        ]
        verbose_name = _("accès cabinet")
        verbose_name_plural = _("accès cabinets")

    def __str__(self) -> str:
        return f"{self.firm} → {self.dossier}"


INVITATION_VALIDITY = datetime.timedelta(days=14)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An emailed, expiring, single-use link granting a membership (or a firm seat).

    Only the token's SHA-256 is stored: a database leak does not leak working links.
    """

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    firm = models.ForeignKey(
        Firm, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    email = models.EmailField(_("adresse e-mail"))
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices, default=Role.USER)
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, null=True, blank=True)
    extra_permissions = models.JSONField(default=list, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_count = models.PositiveIntegerField(default=0)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dossier__isnull=False) | models.Q(firm__isnull=False),
                name="invitation_has_target",
            )
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.dossier or self.firm}"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
