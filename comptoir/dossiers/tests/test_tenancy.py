"""Tenancy, for every dossier URL there is and every one added later.

The URL resolver is enumerated: each pattern under `d/<slug:slug>/` must declare its
permission (`access.dossier_view`), and is requested as anonymous, as a member of another
dossier, and as each role. Denied requests are POSTs (the most dangerous verb) and must
change nothing in the database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from comptoir.accounting.actions_batches import batch_collect
from comptoir.accounting.tests.factories import sale
from comptoir.accounts.actions import user_create
from comptoir.assignments.models import (
    Frequency,
    Step,
    Task,
    TaskAssignee,
    TaskDocument,
    TaskKind,
    TaskSchedule,
    TaskTemplate,
)
from comptoir.audit.actions import Actor
from comptoir.capture.models import TusUpload
from comptoir.documents.actions import document_upload
from comptoir.documents.actions_originals import document_originals_attach
from comptoir.documents.models import Document, Folder
from comptoir.documents.processing import document_process
from comptoir.documents.uploads import file_receive
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.actions import dossier_create, firm_create
from comptoir.dossiers.models import (
    Dossier,
    FirmAccess,
    FirmMember,
    Invitation,
    Membership,
    Profile,
    token_digest,
)
from comptoir.dossiers.permissions import ROLE_PERMISSIONS, Permission, Role
from comptoir.invoicing.tests.conftest import tenancy_objects
from comptoir.sharing.actions import share_link_create
from comptoir.testing.files import pdf_bytes, png_bytes

DOSSIER_PREFIX = "d/<slug:slug>/"


@dataclass(frozen=True)
class Route:
    name: str
    template: str  # e.g. "d/<slug:slug>/members/<id:pk>/role/"
    callback: Any


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[Route]:
    routes: list[Route] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            routes += _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            routes.append(
                Route(f"{namespace}{entry.name}", prefix + str(entry.pattern), entry.callback)
            )
    return routes


def dossier_routes() -> list[Route]:
    return [r for r in _walk(get_resolver().url_patterns) if r.template.startswith(DOSSIER_PREFIX)]


def test_there_are_dossier_urls_to_check():
    assert len(dossier_routes()) >= 1


def test_no_url_takes_an_unbounded_number():
    # <int:…> lets a 30-digit id reach the database (OverflowError, a 500); <id:…> is bounded.
    # (Comptoir's own views; allauth's two WebAuthn URLs are its own business.)
    unbounded = [
        r.name
        for r in _walk(get_resolver().url_patterns)
        if "<int:" in r.template and r.callback.__module__.startswith("comptoir.")
    ]
    assert unbounded == [], "use <id:…> for database ids"


def test_every_dossier_url_declares_its_permission():
    undeclared = [
        r.name for r in dossier_routes() if not hasattr(r.callback, "required_permission")
    ]
    assert undeclared == [], "wrap these views with access.dossier_view(Permission.X)"


# --- The world every route is requested in ------------------------------------------------

# Which object an `<id:pk>` stands for, by the path segment before it. A new kind of
# object in a dossier URL needs a line here, or the test fails and says so.
PK_OWNERS = {
    "members": "membership",
    "invitations": "invitation",
    "profiles": "profile",
    "firms": "firm_access",
    "documents": "document",
    "versions": "version",
    "originals": "original",
    "trash": "trashed_document",
    "folders": "folder",
    "links": "share_link",
    "tasks": "upload_task",
    "approvals": "approval_task",
    "steps": "step",
    "schedules": "schedule",
    "invoices": "invoice",
    "quotes": "quote",
    "customers": "customer",
    "products": "product",
    "lots": "batch",
    "tus": "tus_upload",
}

ROLES = ["owner", "admin", "accountant_firm", "accountant_member", "user", "readonly", "custom"]


@pytest.fixture
def world(db):
    def person(email: str):
        return user_create(email=email, password="x-Secret-123456", email_verified=True)

    owner = person("owner@a.test")
    dossier = dossier_create(actor=Actor(user=owner), name="Alpha", siren="732829320")
    users = {"owner": owner}
    for role_name, role in [
        ("admin", Role.ADMIN),
        ("accountant_member", Role.ACCOUNTANT),
        ("user", Role.USER),
        ("readonly", Role.READ_ONLY),
    ]:
        users[role_name] = person(f"{role_name}@a.test")
        Membership.objects.create(dossier=dossier, user=users[role_name], role=role)
    minimal = Profile.objects.create(
        dossier=dossier, name="Minimal", permissions=[Permission.DOSSIER_VIEW.value]
    )
    users["custom"] = person("custom@a.test")
    Membership.objects.create(
        dossier=dossier, user=users["custom"], role=Role.CUSTOM, profile=minimal
    )
    users["accountant_firm"] = person("staff@firm.test")
    firm = firm_create(actor=Actor(user=users["accountant_firm"]), name="Cabinet Test")
    firm_access = FirmAccess.objects.create(dossier=dossier, firm=firm, granted_by=owner)

    outsider = person("outsider@b.test")
    dossier_create(actor=Actor(user=outsider), name="Beta", siren="552100554")
    invitation = Invitation.objects.create(
        dossier=dossier,
        email="guest@a.test",
        role=Role.USER,
        token_hash=token_digest("tenancy-test-token"),
        created_by=owner,
        expires_at=timezone.now() + timezone.timedelta(days=14),
    )
    folder = Folder.objects.filter(dossier=dossier).first()
    document = document_upload(
        actor=Actor(user=owner),
        access=dossier_access_for(owner, dossier.slug),
        received=file_receive(SimpleUploadedFile("relevé.pdf", pdf_bytes())),
        folder=folder,
    )
    document_process(document_id=document.pk)  # the worker's job: text and thumbnail
    trashed = document_upload(
        actor=Actor(user=owner),
        access=dossier_access_for(owner, dossier.slug),
        received=file_receive(SimpleUploadedFile("ancien.txt", b"old")),
        folder=folder,
    )
    Document.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    share_link, _token = share_link_create(
        actor=Actor(user=owner),
        access=dossier_access_for(owner, dossier.slug),
        documents=[document],
        recipients=["banque@exemple.test"],
    )
    # Tasks: an upload task with a step, an approval of `document`, a recurrence.
    upload_task = Task.objects.create(
        dossier=dossier, kind=TaskKind.UPLOAD, title="Pièces du mois", created_by=owner
    )
    TaskAssignee.objects.create(task=upload_task, user=users["user"])
    step = Step.objects.create(task=upload_task, title="Relevés bancaires", folder=folder)
    approval_task = Task.objects.create(
        dossier=dossier, kind=TaskKind.APPROVAL, title="Bilan 2025", created_by=owner
    )
    TaskAssignee.objects.create(task=approval_task, user=users["user"])
    TaskDocument.objects.create(task=approval_task, document=document, added_by=owner)
    template = TaskTemplate.objects.create(
        name="Pièces du mois", title="Pièces du mois", created_by=users["accountant_firm"]
    )
    schedule = TaskSchedule.objects.create(
        template=template,
        dossier=dossier,
        frequency=Frequency.MONTHLY,
        next_run_on=timezone.localdate(),
        created_by=users["accountant_firm"],
    )
    # Accounting: one entry, collected into a batch (its files are served to those allowed).
    sale(dossier, on=timezone.localdate())
    batch = batch_collect(
        actor=Actor(user=owner),
        access=dossier_access_for(owner, dossier.slug),
        up_to=timezone.localdate(),
    )
    (original,) = document_originals_attach(
        actor=Actor(user=owner),
        access=dossier_access_for(owner, dossier.slug),
        document=document,
        originals=[file_receive(SimpleUploadedFile("photo.png", png_bytes()))],
    )
    tus_upload = TusUpload.objects.create(
        dossier=dossier, created_by=owner, length=10, touched_at=timezone.now()
    )
    objects = {
        "batch": batch,
        "original": original,
        "tus_upload": tus_upload,
        "upload_task": upload_task,
        "approval_task": approval_task,
        "step": step,
        "schedule": schedule,
        "membership": Membership.objects.get(dossier=dossier, user=users["readonly"]),
        "invitation": invitation,
        "profile": minimal,
        "firm_access": firm_access,
        "document": document,
        "version": document.current_version,
        "trashed_document": trashed,
        "folder": folder,
        "share_link": share_link,
        **tenancy_objects(owner, dossier),
    }
    return {"dossier": dossier, "users": users, "outsider": outsider, "objects": objects}


def build_url(route: Route, world: dict[str, Any]) -> str:
    path = route.template.replace("<slug:slug>", world["dossier"].slug)
    segments = path.split("/")
    for index, segment in enumerate(segments):
        if segment.startswith("<"):
            owner = PK_OWNERS.get(segments[index - 1])
            assert owner, f"{route.name}: add the object for '{segments[index - 1]}' to PK_OWNERS"
            segments[index] = str(world["objects"][owner].pk)
    return "/" + "/".join(segments)


def database_fingerprint() -> str:
    """A digest of every row of every Comptoir model: equal before and after = unchanged."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if not model.__module__.startswith("comptoir."):
            continue
        rows = model._default_manager.order_by("pk").values_list()
        digest.update(f"{model._meta.label}:{list(rows)!r}".encode())
    return digest.hexdigest()


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def role_permissions(world, role_name: str) -> frozenset[Permission]:
    from comptoir.dossiers.access import dossier_access_for

    return dossier_access_for(world["users"][role_name], world["dossier"].slug).permissions


def route_ids() -> list[str]:
    return [route.name for route in dossier_routes()]


@pytest.mark.parametrize("route_name", route_ids())
def test_anonymous_is_sent_to_login_and_changes_nothing(world, route_name):
    route = next(r for r in dossier_routes() if r.name == route_name)
    before = database_fingerprint()
    response = client_for(None).post(build_url(route, world))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert database_fingerprint() == before


@pytest.mark.parametrize("route_name", route_ids())
def test_another_dossiers_member_gets_404_and_changes_nothing(world, route_name):
    route = next(r for r in dossier_routes() if r.name == route_name)
    client = client_for(world["outsider"])  # logging in writes last_login: before the snapshot
    before = database_fingerprint()
    assert client.post(build_url(route, world)).status_code == 404
    assert client.get(build_url(route, world)).status_code == 404
    assert database_fingerprint() == before


@pytest.mark.parametrize("role_name", ROLES)
@pytest.mark.parametrize("route_name", route_ids())
def test_each_role_gets_what_its_permissions_say(world, route_name, role_name):
    route = next(r for r in dossier_routes() if r.name == route_name)
    required = route.callback.required_permission
    url = build_url(route, world)
    client = client_for(world["users"][role_name])
    if required in role_permissions(world, role_name):
        response = client.get(url)
        assert response.status_code in {200, 302, 405}, (route.name, response.status_code)
    else:
        before = database_fingerprint()
        assert client.post(url).status_code == 403
        assert database_fingerprint() == before


def test_role_table_matches_the_product_rules():
    owner, admin = ROLE_PERMISSIONS[Role.OWNER], ROLE_PERMISSIONS[Role.ADMIN]
    accountant, readonly = ROLE_PERMISSIONS[Role.ACCOUNTANT], ROLE_PERMISSIONS[Role.READ_ONLY]
    assert owner == frozenset(Permission)
    assert owner - admin == {Permission.DOSSIER_DELETE, Permission.OWNERSHIP_TRANSFER}
    assert Permission.AUDIT_VIEW in accountant
    assert Permission.EXPORT in accountant
    assert Permission.TASK_SEND in accountant
    assert not accountant & {
        Permission.MEMBERS_MANAGE,
        Permission.SETTINGS_MANAGE,
        Permission.DOSSIER_DELETE,
        Permission.OWNERSHIP_TRANSFER,
    }
    assert all(p.value.endswith(".view") for p in readonly)


def test_a_deleted_dossier_is_404_for_everyone(world):
    dossier: Dossier = world["dossier"]
    Dossier.objects.filter(pk=dossier.pk).update(deleted_at=timezone.now())
    for role_name in ROLES:
        response = client_for(world["users"][role_name]).get(f"/d/{dossier.slug}/")
        assert response.status_code == 404


def test_access_removed_takes_effect_on_the_next_request(world):
    dossier, staff = world["dossier"], world["users"]["accountant_firm"]
    client = client_for(staff)
    assert client.get(f"/d/{dossier.slug}/").status_code == 200
    FirmAccess.objects.filter(dossier=dossier).delete()
    assert client.get(f"/d/{dossier.slug}/").status_code == 404
    assert FirmMember.objects.filter(user=staff).exists()
