"""Forms of the dossier pages. They parse and validate input; writes go through actions.

Keep these at the top: other pages' forms are appended below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from .models import Dossier, Membership, Profile, validate_siren
from .permissions import PERMISSION_LABELS, PROFILE_OPTIONS, USER_OPTIONS, Permission, Role

PROFILE_PREFIX = "profile-"


def _permission_choices(allowed: frozenset[Permission]) -> list[tuple[str, Any]]:
    # In the enum's order, which groups related permissions (documents, tasks, …).
    return [(p.value, PERMISSION_LABELS[p]) for p in Permission if p in allowed]


# --- Dossier ------------------------------------------------------------------------------


class DossierForm(forms.Form):
    name = forms.CharField(label=_("Raison sociale"), max_length=200)
    siren = forms.CharField(
        label=_("SIREN"),
        max_length=20,
        help_text=_("9 chiffres, par exemple 732 829 320."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    address = forms.CharField(
        label=_("Adresse"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    fiscal_year_end_day = forms.IntegerField(
        label=_("Jour de clôture de l'exercice"), min_value=1, max_value=31, initial=31
    )
    fiscal_year_end_month = forms.TypedChoiceField(
        label=_("Mois de clôture de l'exercice"),
        choices=list(MONTHS.items()),
        coerce=int,
        initial=12,
    )

    def clean_siren(self) -> str:
        siren = "".join(self.cleaned_data["siren"].split())
        validate_siren(siren)
        return siren

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, month = cleaned.get("fiscal_year_end_day"), cleaned.get("fiscal_year_end_month")
        if day and month:
            # The model owns the rule (no 30 February, no 29 February).
            try:
                Dossier(fiscal_year_end_day=day, fiscal_year_end_month=month).clean()
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned

    @classmethod
    def initial_for(cls, dossier: Dossier) -> dict[str, Any]:
        return {
            "name": dossier.name,
            "siren": dossier.siren,
            "address": dossier.address,
            "fiscal_year_end_day": dossier.fiscal_year_end_day,
            "fiscal_year_end_month": dossier.fiscal_year_end_month,
            "require_2fa": dossier.require_2fa,
        }


class DossierSettingsForm(DossierForm):
    require_2fa = forms.BooleanField(
        label=_("Double authentification obligatoire"),
        required=False,
        help_text=_("Chaque membre doit activer la double authentification avant d'y accéder."),
    )


class DossierDeleteForm(forms.Form):
    confirm_name = forms.CharField(label=_("Nom du dossier"), max_length=200)


# --- Members ------------------------------------------------------------------------------


class MemberRoleForm(forms.Form):
    """One select for the role, custom profiles included ("profile-<pk>")."""

    role = forms.ChoiceField(label=_("Rôle"))
    extra_permissions = forms.MultipleChoiceField(
        label=_("Options du rôle Utilisateur"),
        required=False,
        choices=_permission_choices(USER_OPTIONS),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Prises en compte seulement pour le rôle Utilisateur."),
    )
    restrict_folders = forms.BooleanField(
        label=_("Limiter aux classeurs choisis"),
        required=False,
        help_text=_(
            "Pour les rôles Utilisateur et Lecture seule et les profils personnalisés : "
            "le membre ne voit que ces classeurs et leurs sous-classeurs."
        ),
    )
    visible_folders = forms.TypedMultipleChoiceField(
        label=_("Classeurs visibles"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        profiles: Sequence[Profile],
        may_name_owner: bool,
        membership: Membership | None = None,
        folders: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        if membership is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "role": (
                    f"{PROFILE_PREFIX}{membership.profile_id}"
                    if membership.role == Role.CUSTOM
                    else membership.role
                ),
                "extra_permissions": membership.extra_permissions,
                "restrict_folders": membership.restrict_folders,
                "visible_folders": membership.visible_folder_ids,
            }
        super().__init__(*args, **kwargs)
        self.fields["visible_folders"].choices = list(folders)  # type: ignore[attr-defined]
        self.profiles = {profile.pk: profile for profile in profiles}
        roles = [
            (value, label)
            for value, label in Role.choices
            if value != Role.CUSTOM and (may_name_owner or value != Role.OWNER)
        ]
        choices: list[Any] = [(_("Rôles"), roles)]
        if profiles:
            choices.append(
                (
                    _("Profils personnalisés"),
                    [(f"{PROFILE_PREFIX}{p.pk}", p.name) for p in profiles],
                )
            )
        self.fields["role"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        value = cleaned.get("role")
        cleaned["profile"] = None
        if value and value.startswith(PROFILE_PREFIX):
            # The choices already hold only this dossier's profiles.
            cleaned["profile"] = self.profiles[int(value.removeprefix(PROFILE_PREFIX))]
            cleaned["role"] = Role.CUSTOM.value
        if cleaned.get("restrict_folders") and not cleaned.get("visible_folders"):
            self.add_error(
                "visible_folders", _("Cochez au moins un classeur, ou retirez la limitation.")
            )
        return cleaned


class OwnershipTransferForm(forms.Form):
    to = forms.TypedChoiceField(label=_("Nouveau propriétaire"), coerce=int)

    def __init__(self, *args: Any, candidates: Sequence[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [  # type: ignore[attr-defined]
            (m.pk, f"{m.user.display_name} ({m.user.email})") for m in candidates
        ]


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Nom du profil"), max_length=100)
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"),
        required=False,
        # Seeing the dossier comes with every profile: not a choice.
        choices=_permission_choices(PROFILE_OPTIONS - {Permission.DOSSIER_VIEW}),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tout profil permet de voir le dossier."),
    )

    @classmethod
    def initial_for(cls, profile: Profile) -> dict[str, Any]:
        return {"name": profile.name, "permissions": profile.permissions}


# --- Invitations, "Accès comptable" and firms ---------------------------------------------


class InvitationForm(MemberRoleForm):
    """Invite by email, the role chosen up front (same choices as a member's role)."""

    email = forms.EmailField(
        label=_("Adresse e-mail de la personne invitée"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    field_order = ["email", "role", "extra_permissions"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"role": Role.USER.value})
        super().__init__(*args, **kwargs)


class AccountantAccessForm(forms.Form):
    """The "Accès comptable" form: one accountant by email, or the whole firm of that address."""

    PERSON = "person"
    FIRM = "firm"

    email = forms.EmailField(
        label=_("Adresse e-mail de votre comptable"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    scope = forms.ChoiceField(
        label=_("Donner l'accès à"),
        choices=[
            (PERSON, _("Cette personne seulement")),
            (FIRM, _("Tout son cabinet")),
        ],
        initial=PERSON,
        widget=forms.RadioSelect,
    )


class InvitationSignupForm(forms.Form):
    """The account of a person who arrives by an invitation link: the address is the one
    the link was sent to (reading it proves the address), only a password is chosen."""

    email = forms.EmailField(label=_("Adresse e-mail"), disabled=True, required=False)
    password1 = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Mot de passe (confirmation)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        from django.contrib.auth import password_validation

        super().__init__(*args, **kwargs)
        self.invited_email = email
        self.fields["email"].initial = email
        rules = password_validation.password_validators_help_text_html()
        self.fields["password1"].help_text = rules

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        elif password1:
            from django.contrib.auth import password_validation

            from comptoir.accounts.models import User

            try:
                person = User(email=self.invited_email)
                password_validation.validate_password(password1, user=person)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class FirmForm(forms.Form):
    name = forms.CharField(label=_("Nom du cabinet"), max_length=200)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Donnez le nom du cabinet."))
        return name


class FirmInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail du collaborateur"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class FirmSettingsForm(forms.Form):
    require_2fa = forms.BooleanField(
        label=_("Double authentification obligatoire"),
        required=False,
        help_text=_(
            "Chaque collaborateur du cabinet, vous compris, devra activer la double "
            "authentification (application ou clé d'accès) avant de continuer."
        ),
    )
