"""`demo_load()` builds exactly the contract the README's logins (and demo section) promise."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from stdnum.fr import siren

from comptoir.accounts.models import User
from comptoir.audit.models import AuditEvent
from comptoir.demo import (
    DEMO_DOCUMENTS,
    DEMO_LINK_PASSWORD,
    DEMO_LINK_RECIPIENT,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_TRASHED,
    demo_load,
)
from comptoir.documents.access import documents_visible
from comptoir.documents.models import DEFAULT_FOLDERS, Document, DocumentVersion
from comptoir.dossiers.access import dossier_access_for, dossiers_for_user
from comptoir.dossiers.models import Dossier, Firm, FirmAccess, FirmMember, Membership
from comptoir.dossiers.permissions import Role
from comptoir.sharing.access import share_link_resolve
from comptoir.sharing.models import LinkState, ShareLink

pytestmark = pytest.mark.django_db

TRASHED = DEMO_TRASHED[1]

REACHABLE = {
    "comptable@cabinet-martin.test": {"always-clean", "boulangerie-dupont"},
    "assistant@cabinet-martin.test": {"always-clean", "boulangerie-dupont"},
    "gerant@alwaysclean.test": {"always-clean"},
    "employe@alwaysclean.test": {"always-clean"},
    "dupont@boulangerie-dupont.test": {"boulangerie-dupont"},
    "multi@demo.test": {"atelier-multi", "studio-multi"},
    "operateur@comptoir.test": set(),
}


def _storages(media: Path) -> dict[str, Any]:
    return {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
    }


@pytest.fixture(scope="module", autouse=True)
def _demo_loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo is loaded once for this module (PDFs rendered and processed once), inside a
    transaction rolled back at the end; each test runs in a savepoint inside it."""
    media = tmp_path_factory.mktemp("demo-media")
    fast_hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(STORAGES=_storages(media), PASSWORD_HASHERS=fast_hashers),
        transaction.atomic(),
    ):
        assert demo_load() is True
        yield media
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _demo_media(_demo_loaded, _test_storages, settings):
    # The project-wide fixture gives each test an empty media folder; the demo's files are
    # in the module's.
    settings.STORAGES = _storages(_demo_loaded)


@pytest.fixture
def demo():
    return {user.email: user for user in User.objects.all()}


def test_every_demo_login_exists_and_logs_in_with_the_published_password(demo):
    assert set(demo) == {login.email for login in DEMO_LOGINS} == set(REACHABLE)
    for user in demo.values():
        assert user.check_password(DEMO_PASSWORD)
        assert user.emailaddress_set.get().verified


def test_each_user_reaches_exactly_its_dossiers(demo):
    reached = {
        email: set(dossiers_for_user(user).values_list("slug", flat=True))
        for email, user in demo.items()
    }
    assert reached == REACHABLE


def test_the_dossiers_are_valid_and_french():
    demo_load()
    dossiers = {d.slug: d for d in Dossier.objects.all()}
    assert {slug: d.name for slug, d in dossiers.items()} == {
        "always-clean": "Always Clean SARL",
        "boulangerie-dupont": "Boulangerie Dupont",
        "atelier-multi": "Atelier Multi",
        "studio-multi": "Studio Multi",
    }
    assert dossiers["always-clean"].siren == "732829320"
    for dossier in dossiers.values():
        assert siren.is_valid(dossier.siren)
        assert dossier.address
        dossier.full_clean()
    assert len({d.siren for d in dossiers.values()}) == 4


def test_the_firm_and_its_staff(demo):
    firm = Firm.objects.get()
    assert (firm.name, firm.slug) == ("Cabinet Martin & Associés", "cabinet-martin")
    staff = {m.user.email: m.is_admin for m in FirmMember.objects.select_related("user")}
    assert staff == {"comptable@cabinet-martin.test": True, "assistant@cabinet-martin.test": False}
    served = set(FirmAccess.objects.values_list("dossier__slug", flat=True))
    assert served == {"always-clean", "boulangerie-dupont"}


def test_roles(demo):
    owners = {
        (m.dossier.slug, m.user.email)
        for m in Membership.objects.filter(role=Role.OWNER).select_related("dossier", "user")
    }
    assert owners == {
        ("always-clean", "gerant@alwaysclean.test"),
        ("boulangerie-dupont", "dupont@boulangerie-dupont.test"),
        ("atelier-multi", "multi@demo.test"),
        ("studio-multi", "multi@demo.test"),
    }
    employee = dossier_access_for(demo["employe@alwaysclean.test"], "always-clean")
    assert employee.role == Role.USER
    assert employee.membership is not None
    assert employee.membership.extra_permissions == []
    assistant = dossier_access_for(demo["assistant@cabinet-martin.test"], "always-clean")
    assert assistant.role == Role.ACCOUNTANT
    assert assistant.membership is None
    assert [f.slug for f in assistant.firms] == ["cabinet-martin"]
    gerant = dossier_access_for(demo["gerant@alwaysclean.test"], "always-clean")
    assert gerant.is_owner


def test_demo_is_built_by_the_actions_with_their_audit_trail(demo):
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"dossier.created", "firm.created", "firm_access.granted"} <= actions
    assert AuditEvent.objects.filter(action="dossier.created").count() == 4


def test_loading_twice_duplicates_nothing(demo):
    counts = [User, Dossier, Membership, Firm, FirmMember, FirmAccess, AuditEvent]
    before = {model: model.objects.count() for model in counts}
    assert demo_load() is False
    assert {model: model.objects.count() for model in counts} == before


# --- Documents and share links ------------------------------------------------------------


def test_documents_are_filed_in_the_default_folders_of_their_dossier(demo):
    filed = {
        (d.dossier.slug, d.folder.name if d.folder else None, d.name)
        for d in Document.objects.alive().select_related("dossier", "folder")
    }
    expected = {
        (item.dossier, item.folder, item.name) for item in DEMO_DOCUMENTS if item.name != TRASHED
    }
    assert filed == expected
    assert len(filed) >= 12
    per_dossier = {slug: sum(1 for s, _f, _n in filed if s == slug) for slug, _f, _n in filed}
    assert per_dossier["always-clean"] >= 10
    assert {"boulangerie-dupont", "atelier-multi"} <= set(per_dossier)
    assert {folder for _s, folder, _n in filed} == set(DEFAULT_FOLDERS)


def test_documents_were_uploaded_by_their_people_through_the_action(demo):
    for item in DEMO_DOCUMENTS:
        document = Document.objects.get(dossier__slug=item.dossier, name=item.name)
        assert document.created_by == demo[item.uploader]
        event = AuditEvent.objects.get(
            action="document.uploaded", object_type="documents.document", object_id=document.pk
        )
        assert event.actor == demo[item.uploader]
        assert event.details["sha256"] == document.versions.get(number=1).sha256


def test_documents_are_processed_pdfs_with_french_text_and_pictures(demo):
    for document in Document.objects.select_related("current_version"):
        version = document.current_version
        assert version.mime_type == "application/pdf"
        assert version.size == default_storage.size(version.storage_name)
        with default_storage.open(version.storage_name, "rb") as file:
            assert hashlib.sha256(file.read()).hexdigest() == version.sha256
        assert document.processed_at is not None
        assert len(document.text_content) > 200
        assert default_storage.exists(document.thumbnail)
        assert default_storage.exists(document.preview)
    texts = {d.name: d.text_content for d in Document.objects.all()}
    assert "Relevé de compte" in texts["Relevé de compte janvier 2026.pdf"]
    assert "Bulletin de salaire" in texts["Bulletin de salaire janvier 2026 (anonymisé).pdf"]
    assert "anonymisé" in texts["Bulletin de salaire janvier 2026 (anonymisé).pdf"]
    assert "Urssaf" in texts["Attestation de vigilance URSSAF février 2026.pdf"]
    assert "2026" in texts["Extrait Kbis Atelier Multi.pdf"]


def test_one_document_has_two_versions(demo):
    versioned = [d for d in Document.objects.all() if d.versions.count() > 1]
    assert len(versioned) == 1
    document = versioned[0]
    first, second = document.versions.order_by("number")
    assert (first.number, second.number) == (1, 2)
    assert document.current_version == second
    assert first.sha256 != second.sha256
    assert "révision 2" in document.text_content
    assert AuditEvent.objects.filter(
        action="document.version_added", object_id=document.pk
    ).exists()


def test_one_document_is_in_the_trash(demo):
    trashed = Document.objects.trashed().get()
    assert trashed.name == TRASHED
    assert trashed.deleted_by == demo["gerant@alwaysclean.test"]
    gerant = dossier_access_for(demo["gerant@alwaysclean.test"], "always-clean")
    assert not documents_visible(gerant).filter(pk=trashed.pk).exists()
    assert documents_visible(gerant, trashed=True).filter(pk=trashed.pk).exists()


def test_one_active_link_with_a_password_and_one_expired_link(demo):
    links = {share_link_resolve(link).state: link for link in ShareLink.objects.all()}
    assert set(links) == {LinkState.ACTIVE, LinkState.EXPIRED}

    active = links[LinkState.ACTIVE]
    assert active.dossier.slug == "always-clean"
    assert active.created_by == demo["gerant@alwaysclean.test"]
    assert check_password(DEMO_LINK_PASSWORD, active.password_hash)
    assert [r.email for r in active.recipients.all()] == [DEMO_LINK_RECIPIENT]
    days_left = (active.expires_at - timezone.now()) / datetime.timedelta(days=1)
    assert 29 < days_left <= 31
    assert len(share_link_resolve(active).documents) == 3

    expired = links[LinkState.EXPIRED]
    assert expired.expires_at < timezone.now()
    assert expired.created_at < expired.expires_at
    assert not expired.has_password
    assert AuditEvent.objects.filter(action="share_link.created").count() == 2


def test_the_published_link_password_opens_the_active_link_only(demo):
    active = next(
        link
        for link in ShareLink.objects.all()
        if share_link_resolve(link).state == LinkState.ACTIVE
    )
    assert not check_password("comptoir-demo-2026", active.password_hash)
    assert check_password(DEMO_LINK_PASSWORD, active.password_hash)


def test_loading_twice_duplicates_no_document_or_link(demo):
    counts = [Document, DocumentVersion, ShareLink]
    before = {model: model.objects.count() for model in counts}
    assert demo_load() is False
    assert {model: model.objects.count() for model in counts} == before
