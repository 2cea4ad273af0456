from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from comptoir.accounts.actions import user_create
from comptoir.audit.actions import Actor
from comptoir.documents.actions import document_upload
from comptoir.documents.models import Folder
from comptoir.documents.uploads import file_receive
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.actions import dossier_create
from comptoir.dossiers.models import Membership
from comptoir.dossiers.permissions import Permission, Role
from comptoir.sharing.actions import share_link_create
from comptoir.testing.files import pdf_bytes, png_bytes

LINK_PATH = re.compile(r"/s/([A-Za-z0-9_-]{43})/")
PASSWORD = "Tournesol-2026"


def person(email: str):
    return user_create(email=email, password="x-Secret-123456", email_verified=True)


@pytest.fixture
def office(db):
    """A dossier with an owner, one member of each other role, a member allowed to share
    (Utilisateur + DOCUMENT_SHARE) and three documents; and an outsider with its own dossier.
    """
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
    users["sharer"] = person("sharer@alpha.test")
    Membership.objects.create(
        dossier=dossier,
        user=users["sharer"],
        role=Role.USER,
        extra_permissions=[Permission.DOCUMENT_SHARE.value],
    )
    folders = {f.name: f for f in Folder.objects.filter(dossier=dossier)}
    access = dossier_access_for(owner, dossier.slug)

    def upload(name: str, content: bytes, folder: str):
        return document_upload(
            actor=Actor(user=owner),
            access=access,
            received=file_receive(SimpleUploadedFile(name, content)),
            folder=folders[folder],
        )

    documents = {
        "releve": upload("relevé janvier.pdf", pdf_bytes("Relevé de janvier"), "Comptabilité"),
        "bilan": upload("bilan 2025.pdf", pdf_bytes("Bilan 2025"), "Comptabilité"),
        "photo": upload("ticket.png", png_bytes(), "Fiscal"),
    }
    outsider = person("outsider@beta.test")
    other = dossier_create(actor=Actor(user=outsider), name="Beta SAS", siren="552100554")
    other_folder = Folder.objects.filter(dossier=other).first()
    foreign = document_upload(
        actor=Actor(user=outsider),
        access=dossier_access_for(outsider, other.slug),
        received=file_receive(SimpleUploadedFile("secret.pdf", pdf_bytes("Secret"))),
        folder=other_folder,
    )
    return {
        "dossier": dossier,
        "users": users,
        "folders": folders,
        "documents": documents,
        "outsider": outsider,
        "other_dossier": other,
        "foreign_document": foreign,
    }


def access_of(office, who: str = "owner"):
    return dossier_access_for(office["users"][who], office["dossier"].slug)


def make_link(office, *, by: str = "owner", documents=("releve",), recipients=None, **options):
    """A link made by the action, as the view would; returns (link, token)."""
    return share_link_create(
        actor=Actor(user=office["users"][by]),
        access=access_of(office, by),
        documents=[office["documents"][key] for key in documents],
        recipients=recipients or ["banque@exemple.test"],
        **options,
    )


def client_for(user=None, **meta) -> Client:
    client = Client(**meta)
    if user is not None:
        client.force_login(user)
    return client
