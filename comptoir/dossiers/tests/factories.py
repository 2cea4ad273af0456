"""Factories for the dossiers app. Other apps' tests import them.

Rows are built through the models directly (no audit events): tests that need the
action's side effects call the action.
"""

from __future__ import annotations

import factory

from comptoir.accounts.tests.factories import UserFactory
from comptoir.dossiers.models import Dossier, Firm, FirmAccess, FirmMember, Membership, Profile
from comptoir.dossiers.permissions import Permission, Role

VALID_SIREN = "732829320"


class DossierFactory(factory.django.DjangoModelFactory[Dossier]):
    class Meta:
        model = Dossier

    name = factory.Sequence(lambda n: f"Entreprise {n}")
    slug = factory.Sequence(lambda n: f"entreprise-{n}")
    siren = VALID_SIREN
    address = "1 rue de la Paix\n75002 Paris"
    fiscal_year_end_month = 12
    fiscal_year_end_day = 31
    created_by = None


class FirmFactory(factory.django.DjangoModelFactory[Firm]):
    class Meta:
        model = Firm

    name = factory.Sequence(lambda n: f"Cabinet {n}")
    slug = factory.Sequence(lambda n: f"cabinet-{n}")


class FirmMemberFactory(factory.django.DjangoModelFactory[FirmMember]):
    class Meta:
        model = FirmMember

    firm = factory.SubFactory(FirmFactory)
    user = factory.SubFactory(UserFactory)
    is_admin = False


class FirmAccessFactory(factory.django.DjangoModelFactory[FirmAccess]):
    class Meta:
        model = FirmAccess

    dossier = factory.SubFactory(DossierFactory)
    firm = factory.SubFactory(FirmFactory)
    granted_by = None


class ProfileFactory(factory.django.DjangoModelFactory[Profile]):
    class Meta:
        model = Profile

    dossier = factory.SubFactory(DossierFactory)
    name = factory.Sequence(lambda n: f"Profil {n}")
    permissions = factory.LazyFunction(lambda: [Permission.DOSSIER_VIEW.value])


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    """A member; `role` defaults to owner. For role CUSTOM a profile of the same dossier
    is created unless one is given."""

    class Meta:
        model = Membership

    dossier = factory.SubFactory(DossierFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER
    profile = factory.LazyAttribute(
        lambda o: ProfileFactory(dossier=o.dossier) if o.role == Role.CUSTOM else None
    )
    extra_permissions = factory.LazyFunction(list)
    restrict_folders = False
    visible_folder_ids = factory.LazyFunction(list)
