from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from comptoir.accounts.actions import user_create
from comptoir.audit.actions import Actor
from comptoir.documents.actions import document_upload
from comptoir.documents.models import Document, Folder
from comptoir.documents.uploads import file_receive
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.actions import dossier_create
from comptoir.dossiers.models import Membership
from comptoir.dossiers.permissions import Role


def person(email: str):
    return user_create(email=email, password="x-Secret-123456", email_verified=True)


@pytest.fixture
def office(db):
    """A dossier with its default folders, an owner and one member of each other role."""
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
    folders = {f.name: f for f in Folder.objects.filter(dossier=dossier)}
    return {"dossier": dossier, "users": users, "folders": folders}


def upload(office, name: str, content: bytes, *, folder: str | None = "Comptabilité", by="owner"):
    user = office["users"][by]
    return document_upload(
        actor=Actor(user=user),
        access=dossier_access_for(user, office["dossier"].slug),
        received=file_receive(SimpleUploadedFile(name, content)),
        folder=office["folders"][folder] if folder else None,
    )


def access_of(office, who: str = "owner"):
    return dossier_access_for(office["users"][who], office["dossier"].slug)


def live_documents(office) -> list[Document]:
    return list(Document.objects.alive().filter(dossier=office["dossier"]))
