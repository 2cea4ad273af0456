"""Fixtures of the tasks app: a dossier with people of every role, a firm serving it, and
helpers to build upload tasks through the actions (as the views would)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from comptoir.accounts.actions import user_create
from comptoir.audit.actions import Actor
from comptoir.documents.models import Folder
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.actions import dossier_create, firm_create
from comptoir.dossiers.models import FirmAccess, FirmMember, Membership
from comptoir.dossiers.permissions import Role
from comptoir.testing.files import pdf_bytes

from ..actions import StepSpec, upload_task_create


def person(email: str, **extra):
    return user_create(email=email, password="x-Secret-123456", email_verified=True, **extra)


@pytest.fixture
def office(db):
    """Alpha SARL: an owner (the client), an admin, a Comptable member, an Utilisateur,
    a Lecture seule; a firm (Cabinet Martin) whose staff member `staff` serves it; and an
    outsider with its own dossier."""
    owner = person("owner@alpha.test")
    dossier = dossier_create(actor=Actor(user=owner), name="Alpha SARL", siren="732829320")
    users = {"owner": owner}
    for name, role in [
        ("admin", Role.ADMIN),
        ("accountant", Role.ACCOUNTANT),
        ("user", Role.USER),
        ("readonly", Role.READ_ONLY),
    ]:
        users[name] = person(f"{name}@alpha.test")
        Membership.objects.create(dossier=dossier, user=users[name], role=role)
    users["staff"] = person("staff@martin.test")
    firm = firm_create(actor=Actor(user=users["staff"]), name="Cabinet Martin")
    FirmMember.objects.get_or_create(firm=firm, user=users["staff"])
    FirmAccess.objects.create(firm=firm, dossier=dossier)
    folders = {f.name: f for f in Folder.objects.filter(dossier=dossier)}
    outsider = person("outsider@beta.test")
    other = dossier_create(actor=Actor(user=outsider), name="Beta SAS", siren="552100554")
    return {
        "dossier": dossier,
        "users": users,
        "folders": folders,
        "firm": firm,
        "outsider": outsider,
        "other_dossier": other,
    }


def access_of(office, who: str = "accountant"):
    return dossier_access_for(office["users"][who], office["dossier"].slug)


def make_task(
    office,
    *,
    by: str = "accountant",
    title: str = "Pièces du mois",
    to=("owner",),
    steps=("Relevés bancaires", "Factures d'achat", "Notes de frais"),
    folder: str | None = "Comptabilité",
    **options,
):
    user = office["users"][by]
    return upload_task_create(
        actor=Actor(user=user),
        access=access_of(office, by),
        title=title,
        assignees=[office["users"][name] for name in to],
        steps=[
            StepSpec(title=s, folder=office["folders"][folder] if folder else None) for s in steps
        ],
        **options,
    )


def pdf(name: str = "releve.pdf", text: str = "Relevé") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(text), content_type="application/pdf")


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
