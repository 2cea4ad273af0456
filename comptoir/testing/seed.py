"""A small real dossier built through the actions, for tests that run `comptoir` in a
subprocess (backup, restore, faults): `comptoir shell -c "from comptoir.testing.seed
import seed_print; seed_print()"` prints what it made as one JSON line.

Also `download_print(...)`: what a person downloads, read through the real views (Django's
test client inside that process), printed as its SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from comptoir.accounts.actions import user_create
from comptoir.audit.actions import Actor, record
from comptoir.documents.actions import document_upload, document_version_add
from comptoir.documents.models import Folder
from comptoir.documents.uploads import file_receive
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.actions import dossier_create

from .files import pdf_bytes, png_bytes

SEED_PASSWORD = "x-Secret-123456"  # noqa: S105 - a test account's password


def seed(*, email: str = "owner@seed.test", name: str = "Seed SARL") -> dict[str, Any]:
    owner = user_create(email=email, password=SEED_PASSWORD, email_verified=True)
    dossier = dossier_create(actor=Actor(user=owner), name=name, siren="732829320")
    access = dossier_access_for(owner, dossier.slug)
    folder = Folder.objects.get(dossier=dossier, parent=None, name="Comptabilité")
    statement = document_upload(
        actor=Actor(user=owner),
        access=access,
        received=file_receive(SimpleUploadedFile("relevé.pdf", pdf_bytes("Relevé de mars"))),
        folder=folder,
    )
    second = pdf_bytes("Relevé de mars, corrigé")
    document_version_add(
        actor=Actor(user=owner),
        access=access,
        document=statement,
        received=file_receive(SimpleUploadedFile("relevé v2.pdf", second)),
        base_version=1,
    )
    picture = png_bytes(colour="navy")
    receipt = document_upload(
        actor=Actor(user=owner),
        access=access,
        received=file_receive(SimpleUploadedFile("ticket.png", picture)),
        folder=None,
    )
    return {
        "email": email,
        "slug": dossier.slug,
        "documents": {
            str(statement.pk): hashlib.sha256(second).hexdigest(),
            str(receipt.pk): hashlib.sha256(picture).hexdigest(),
        },
    }


def seed_print() -> None:
    print(json.dumps(seed()))


def events_write_forever(slug: str) -> None:
    """Write events into the dossier's chain until killed (a busy app during a backup)."""
    from comptoir.dossiers.models import Dossier

    dossier = Dossier.objects.get(slug=slug)
    n = 0
    while True:
        with transaction.atomic():
            record(actor=Actor.system(), action="test.meanwhile", dossier=dossier, details={"n": n})
        n += 1


def download_print(*, email: str, slug: str, document_id: int) -> None:
    from django.test import Client
    from django.urls import reverse

    from comptoir.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=email))
    url = reverse("documents:document_download", kwargs={"slug": slug, "pk": document_id})
    response = client.get(url)
    body = (
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
        if response.streaming
        else response.content
    )
    print(response.status_code, hashlib.sha256(body).hexdigest())
