"""Every action records its event: who, dossier, action, object, address and browser.

The public functions of every `comptoir/<app>/actions*.py` module are listed from the
modules themselves (importlib + inspect; names imported from elsewhere and names starting
with "_" are not theirs). Each one needs an entry in TABLE below:

- a Scenario: a small function that builds what the action needs, calls `w.begin()` right
  before the action (events written before do not count), calls it, and answers what the
  event must say (Expect); with the action code(s) it must record;
- or an Exemption, with the reason it records nothing of its own (a pure helper or query,
  notification plumbing, a step of another action that records, the worker's internals).

A new public function in an actions module without an entry fails here: add a scenario,
or an exemption with its reason.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import inspect
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.db.models import Max
from django.utils import timezone
from PIL import Image

import comptoir
from comptoir.accounts.actions import user_create, user_language_set
from comptoir.accounts.models import User
from comptoir.assignments.actions import (
    StepSpec,
    step_add,
    step_comment_add,
    step_complete,
    step_delete,
    step_mark_not_applicable,
    step_reopen,
    task_complete,
    task_documents_attach,
    task_documents_upload,
    task_reopen,
    upload_task_create,
)
from comptoir.assignments.actions_approval import (
    approval_approve,
    approval_decline,
    approval_document_open,
    approval_task_create,
)
from comptoir.assignments.actions_reminders import (
    REMINDER_ACTOR,
    task_reminder_rules_update,
    task_reminder_send,
    task_reminders_send_due,
)
from comptoir.assignments.actions_templates import (
    TemplateStep,
    task_save_as_template,
    task_schedule_create,
    task_schedule_delete,
    task_schedule_pause,
    task_schedule_resume,
    task_schedule_run,
    task_template_create,
    task_template_delete,
    task_template_send,
    task_template_update,
)
from comptoir.assignments.models import Frequency, Step, Task, TaskDocument, TaskSchedule
from comptoir.assignments.tests import conftest as tasks_conftest
from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.capture.actions_scan import ScannedPage, scan_save
from comptoir.capture.scan_pdf import PageSpec
from comptoir.documents.actions import (
    document_purge,
    document_read_record,
    document_rename,
    document_restore,
    document_upload,
    document_version_add,
    documents_move,
    documents_trash,
    documents_zip_record,
    folder_create,
    folder_delete,
    folder_move,
    folder_rename,
)
from comptoir.documents.actions_originals import (
    document_original_read_record,
    document_originals_attach,
    document_text_layer_add,
)
from comptoir.documents.models import Document, Folder
from comptoir.documents.uploads import ReceivedFile, file_receive
from comptoir.dossiers.access import DossierAccess, dossier_access_for
from comptoir.dossiers.actions import (
    dossier_create,
    dossier_delete,
    dossier_update,
    firm_access_grant,
    firm_access_revoke,
    firm_create,
    firm_member_remove,
    firm_update,
    invitation_accept,
    invitation_create,
    invitation_resend,
    invitation_revoke,
    membership_change_role,
    membership_remove,
    ownership_transfer,
    profile_delete,
    profile_save,
    user_mark_email_verified,
)
from comptoir.dossiers.models import (
    Dossier,
    FirmAccess,
    FirmMember,
    Invitation,
    Membership,
    token_digest,
)
from comptoir.dossiers.permissions import Permission, Role
from comptoir.dossiers.tests.factories import VALID_SIREN, FirmFactory
from comptoir.notifications.actions import notification_preferences_update, notification_unsubscribe
from comptoir.sharing.actions import (
    link_actor,
    share_link_create,
    share_link_downloads_record,
    share_link_open_record,
    share_link_password_attempt,
    share_link_revoke,
    sharing_policy_update,
)
from comptoir.sharing.models import ShareLink
from comptoir.testing.files import pdf_bytes

# The tasks app's world (a dossier with every role, a firm serving it, an outsider), as a
# fixture of this module too; its helpers build tasks and files the same way.
office = tasks_conftest.office
make_task, pdf, person = tasks_conftest.make_task, tasks_conftest.pdf, tasks_conftest.person

IP = "203.0.113.7"
USER_AGENT = "pytest-agent"
BASE_URL = "http://testserver"


# --- The actions, from the modules themselves ---------------------------------------------


def public_actions() -> list[str]:
    """Names "<app>.<module>.<function>" of every public function defined in an actions module."""
    root = Path(comptoir.__file__).parent
    found = []
    for path in sorted(root.glob("*/actions*.py")):
        module_name = f"comptoir.{path.parent.name}.{path.stem}"
        module = importlib.import_module(module_name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module_name:
                continue  # private, or imported from elsewhere
            found.append(f"{path.parent.name}.{path.stem}.{name}")
    return found


# --- What a scenario answers --------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The object an event must name, taken when it still exists (before a deletion)."""

    type: str
    id: str
    repr: str

    @classmethod
    def of(cls, instance: models.Model) -> Target:
        assert instance.pk is not None, "take the Target before the object is deleted"
        return cls(instance._meta.label_lower, str(instance.pk), str(instance)[:300])


@dataclass(frozen=True)
class Expect:
    actor: Actor
    dossier: Dossier | None
    target: Target | models.Model | None


# --- The world a scenario starts from -----------------------------------------------------


@dataclass
class World:
    """Alpha SARL: owner (the client), admin, accountant, user, readonly; a firm (Cabinet
    Martin) whose `staff` serves it; an outsider with its own dossier. Built by the
    actions, as the tasks app's `office` fixture does."""

    office: dict[str, Any]
    began_after: int | None = field(default=None)

    @property
    def dossier(self) -> Dossier:
        return self.office["dossier"]  # type: ignore[no-any-return]

    def user(self, who: str) -> User:
        if who == "outsider":
            return self.office["outsider"]  # type: ignore[no-any-return]
        return self.office["users"][who]  # type: ignore[no-any-return]

    def folder(self, name: str = "Comptabilité") -> Folder:
        return self.office["folders"][name]  # type: ignore[no-any-return]

    def actor(self, who: str = "owner") -> Actor:
        """The person, from an address and a browser the event must keep."""
        return Actor(user=self.user(who), ip=IP, user_agent=USER_AGENT)

    def access(self, who: str = "owner") -> DossierAccess:
        return dossier_access_for(self.user(who), self.dossier.slug)

    def target_of(self, instance: models.Model) -> Target:
        """The object an event names, taken before the action deletes it."""
        return Target.of(instance)

    def begin(self) -> None:
        """From here on, events count: the action comes next."""
        self.began_after = AuditEvent.objects.aggregate(m=Max("pk"))["m"] or 0

    # Setup helpers: they act as the person, without address (their events do not count).

    def received(self, name: str = "releve.pdf", text: str = "Relevé") -> ReceivedFile:
        return file_receive(SimpleUploadedFile(name, pdf_bytes(text)))

    def document(self, name: str = "releve.pdf", folder: str = "Comptabilité") -> Document:
        return document_upload(
            actor=Actor(user=self.user("owner")),
            access=self.access("owner"),
            received=self.received(name),
            folder=self.folder(folder),
        )

    def task(self, **options: Any) -> Task:
        return make_task(self.office, **options)  # type: ignore[no-any-return]

    def first_step(self, task: Task) -> Step:
        return Step.objects.filter(task=task).order_by("position").first()  # type: ignore[return-value]

    def approval(self) -> Task:
        return approval_task_create(
            actor=Actor(user=self.user("accountant")),
            access=self.access("accountant"),
            title="Comptes annuels",
            assignees=[self.user("owner")],
            documents=[self.document("bilan.pdf")],
        )

    def link(self, **options: Any) -> ShareLink:
        link, _token = share_link_create(
            actor=Actor(user=self.user("owner")),
            access=self.access("owner"),
            documents=[self.document()],
            recipients=["banque@exemple.test"],
            **options,
        )
        return link

    def template(self) -> Any:
        staff = self.user("staff")
        return task_template_create(
            actor=Actor(user=staff),
            user=staff,
            name="Pièces du mois",
            title="Pièces du mois",
            steps=[TemplateStep("Relevés bancaires", folder="Comptabilité", due_in_days=5)],
        )

    def schedule(self, *, first_run_on: datetime.date | None = None) -> TaskSchedule:
        staff = self.user("staff")
        (schedule,) = task_schedule_create(
            actor=Actor(user=staff),
            user=staff,
            template=self.template(),
            dossiers=[self.dossier],
            frequency=Frequency.MONTHLY,
            first_run_on=first_run_on or timezone.localdate() + datetime.timedelta(days=3),
        )
        return schedule

    def invitation(self, email: str = "nouvelle@alpha.test") -> Invitation:
        return invitation_create(
            actor=Actor(user=self.user("owner")),
            base_url=BASE_URL,
            email=email,
            role=Role.USER,
            access=self.access("owner"),
        )


Run = Callable[[World], "Expect | dict[str, Expect]"]


@dataclass(frozen=True)
class Scenario:
    run: Run
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Exemption:
    reason: str


def scenario(run: Run, *codes: str) -> Scenario:
    return Scenario(run, codes)


# --- Scenarios: accounts ------------------------------------------------------------------


def s_user_create(w: World) -> Expect:
    visitor = Actor(user=None, ip=IP, user_agent=USER_AGENT)  # someone signing up
    w.begin()
    user = user_create(email="nouveau@alpha.test", password="x-Secret-123456", actor=visitor)
    return Expect(dataclasses.replace(visitor, user=user), None, user)


def s_user_language_set(w: World) -> Expect:
    w.begin()
    user_language_set(actor=w.actor("user"), user=w.user("user"), language="en")
    return Expect(w.actor("user"), None, w.user("user"))


# --- Scenarios: dossiers, members, profiles, invitations, firms ---------------------------


def s_dossier_create(w: World) -> Expect:
    w.begin()
    dossier = dossier_create(actor=w.actor("owner"), name="Gamma SAS", siren=VALID_SIREN)
    return Expect(w.actor("owner"), dossier, dossier)


def s_dossier_update(w: World) -> Expect:
    d = w.dossier
    w.begin()
    dossier = dossier_update(
        actor=w.actor("owner"),
        access=w.access("owner"),
        name="Alpha SA",
        siren=d.siren,
        address=d.address,
        fiscal_year_end_month=d.fiscal_year_end_month,
        fiscal_year_end_day=d.fiscal_year_end_day,
        require_2fa=d.require_2fa,
    )
    return Expect(w.actor("owner"), dossier, dossier)


def s_dossier_delete(w: World) -> Expect:
    target = Target.of(w.dossier)
    w.begin()
    dossier_delete(actor=w.actor("owner"), access=w.access("owner"), confirm_name=w.dossier.name)
    return Expect(w.actor("owner"), w.dossier, target)


def _membership(w: World, who: str) -> Membership:
    return Membership.objects.get(dossier=w.dossier, user=w.user(who))


def s_membership_change_role(w: World) -> Expect:
    w.begin()
    membership = membership_change_role(
        actor=w.actor("owner"),
        access=w.access("owner"),
        membership=_membership(w, "user"),
        role=Role.READ_ONLY,
    )
    return Expect(w.actor("owner"), w.dossier, membership)


def s_membership_remove(w: World) -> Expect:
    membership = _membership(w, "readonly")
    target = Target.of(membership)
    w.begin()
    membership_remove(actor=w.actor("owner"), access=w.access("owner"), membership=membership)
    return Expect(w.actor("owner"), w.dossier, target)


def s_ownership_transfer(w: World) -> Expect:
    w.begin()
    ownership_transfer(actor=w.actor("owner"), access=w.access("owner"), to=_membership(w, "admin"))
    return Expect(w.actor("owner"), w.dossier, _membership(w, "admin"))


def s_profile_save(w: World) -> Expect:
    w.begin()
    profile = profile_save(
        actor=w.actor("owner"),
        access=w.access("owner"),
        name="Lecture des factures",
        permissions=[Permission.DOCUMENT_UPLOAD.value],
    )
    return Expect(w.actor("owner"), w.dossier, profile)


def s_profile_delete(w: World) -> Expect:
    profile = profile_save(
        actor=Actor(user=w.user("owner")),
        access=w.access("owner"),
        name="Temporaire",
        permissions=[],
    )
    target = Target.of(profile)
    w.begin()
    profile_delete(actor=w.actor("owner"), access=w.access("owner"), profile=profile)
    return Expect(w.actor("owner"), w.dossier, target)


def s_invitation_create(w: World) -> Expect:
    w.begin()
    invitation = invitation_create(
        actor=w.actor("owner"),
        base_url=BASE_URL,
        email="nouvelle@alpha.test",
        role=Role.USER,
        access=w.access("owner"),
    )
    return Expect(w.actor("owner"), w.dossier, invitation)


def s_invitation_revoke(w: World) -> Expect:
    invitation = w.invitation()
    w.begin()
    invitation_revoke(actor=w.actor("owner"), invitation=invitation)
    return Expect(w.actor("owner"), w.dossier, invitation)


def s_invitation_resend(w: World) -> Expect:
    invitation = w.invitation()
    w.begin()
    invitation = invitation_resend(actor=w.actor("owner"), invitation=invitation, base_url=BASE_URL)
    return Expect(w.actor("owner"), w.dossier, invitation)


def s_invitation_accept(w: World) -> Expect:
    invitation = w.invitation()
    # The token only ever leaves in the email: give the invitation one the test knows.
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=token_digest("a-known-token"))
    newcomer = person("nouvelle@alpha.test")
    actor = Actor(user=newcomer, ip=IP, user_agent=USER_AGENT)
    w.begin()
    invitation = invitation_accept(actor=actor, token="a-known-token")
    return Expect(actor, w.dossier, invitation)


def s_user_mark_email_verified(w: World) -> Expect:
    newcomer = user_create(email="nouvelle@alpha.test", password="x-Secret-123456")
    actor = Actor(user=newcomer, ip=IP, user_agent=USER_AGENT)
    w.begin()
    assert user_mark_email_verified(actor=actor, user=newcomer, email="Nouvelle@alpha.test") == 1
    return Expect(actor, None, newcomer)


def s_firm_create(w: World) -> Expect:
    w.begin()
    firm = firm_create(actor=w.actor("staff"), name="Cabinet Durand")
    return Expect(w.actor("staff"), None, firm)


def s_firm_member_remove(w: World) -> Expect:
    firm = w.office["firm"]
    member = FirmMember.objects.create(firm=firm, user=person("assistant@martin.test"))
    w.begin()
    firm_member_remove(actor=w.actor("staff"), member=member)
    return Expect(w.actor("staff"), None, firm)


def s_firm_update(w: World) -> Expect:
    w.begin()
    firm = firm_update(actor=w.actor("staff"), firm=w.office["firm"], require_2fa=True)
    return Expect(w.actor("staff"), None, firm)


def s_firm_access_grant(w: World) -> Expect:
    w.begin()
    firm_access = firm_access_grant(
        actor=w.actor("owner"), access=w.access("owner"), firm=FirmFactory.create()
    )
    return Expect(w.actor("owner"), w.dossier, firm_access)


def s_firm_access_revoke(w: World) -> Expect:
    firm_access = FirmAccess.objects.get(dossier=w.dossier, firm=w.office["firm"])
    target = Target.of(firm_access)
    w.begin()
    firm_access_revoke(actor=w.actor("owner"), access=w.access("owner"), firm_access=firm_access)
    return Expect(w.actor("owner"), w.dossier, target)


# --- Scenarios: folders and documents -----------------------------------------------------


def s_folder_create(w: World) -> Expect:
    w.begin()
    folder = folder_create(actor=w.actor("owner"), access=w.access("owner"), name="Banque")
    return Expect(w.actor("owner"), w.dossier, folder)


def s_folder_rename(w: World) -> Expect:
    w.begin()
    folder = folder_rename(
        actor=w.actor("owner"), access=w.access("owner"), folder=w.folder("Social"), name="Paie"
    )
    return Expect(w.actor("owner"), w.dossier, folder)


def s_folder_move(w: World) -> Expect:
    w.begin()
    folder = folder_move(
        actor=w.actor("owner"),
        access=w.access("owner"),
        folder=w.folder("Social"),
        parent=w.folder("Juridique"),
    )
    return Expect(w.actor("owner"), w.dossier, folder)


def s_folder_delete(w: World) -> Expect:
    folder = w.folder("Social")
    target = Target.of(folder)
    w.begin()
    folder_delete(actor=w.actor("owner"), access=w.access("owner"), folder=folder)
    return Expect(w.actor("owner"), w.dossier, target)


def s_document_upload(w: World) -> Expect:
    received = w.received("facture.pdf")
    w.begin()
    document = document_upload(
        actor=w.actor("owner"), access=w.access("owner"), received=received, folder=w.folder()
    )
    return Expect(w.actor("owner"), w.dossier, document)


def s_document_version_add(w: World) -> Expect:
    document = w.document()
    received = w.received("releve-v2.pdf", "Relevé corrigé")
    w.begin()
    document_version_add(
        actor=w.actor("owner"), access=w.access("owner"), document=document, received=received
    )
    return Expect(w.actor("owner"), w.dossier, document)


def s_document_rename(w: World) -> Expect:
    document = w.document()
    w.begin()
    document = document_rename(
        actor=w.actor("owner"), access=w.access("owner"), document=document, name="janvier.pdf"
    )
    return Expect(w.actor("owner"), w.dossier, document)


def s_documents_move(w: World) -> Expect:
    document = w.document()
    w.begin()
    documents_move(
        actor=w.actor("owner"),
        access=w.access("owner"),
        documents=[document],
        folder=w.folder("Fiscal"),
    )
    return Expect(w.actor("owner"), w.dossier, document)


def s_documents_trash(w: World) -> Expect:
    document = w.document()
    w.begin()
    documents_trash(actor=w.actor("owner"), access=w.access("owner"), documents=[document])
    return Expect(w.actor("owner"), w.dossier, document)


def s_document_restore(w: World) -> Expect:
    document = w.document()
    documents_trash(actor=Actor(user=w.user("owner")), access=w.access(), documents=[document])
    w.begin()
    document = document_restore(actor=w.actor("owner"), access=w.access(), document=document)
    return Expect(w.actor("owner"), w.dossier, document)


def s_document_read_record(w: World) -> Expect:
    document = w.document()
    assert document.current_version is not None
    w.begin()
    document_read_record(
        actor=w.actor("user"),
        access=w.access("user"),
        document=document,
        version=document.current_version,
        kind="viewed",
    )
    return Expect(w.actor("user"), w.dossier, document)


def s_documents_zip_record(w: World) -> Expect:
    document = w.document()
    w.begin()
    documents_zip_record(actor=w.actor("user"), access=w.access("user"), documents=[document])
    return Expect(w.actor("user"), w.dossier, document)


def s_document_purge(w: World) -> Expect:
    document = w.document()
    documents_trash(actor=Actor(user=w.user("owner")), access=w.access(), documents=[document])
    document.refresh_from_db()
    target = Target.of(document)
    w.begin()
    document_purge(document=document)
    return Expect(Actor.system(), w.dossier, target)


def _photo(name: str = "page-1.jpg") -> ReceivedFile:
    image = Image.new("RGB", (240, 320), "saddlebrown")
    image.paste(Image.new("RGB", (160, 226), "white"), (40, 47))
    data = io.BytesIO()
    image.save(data, "JPEG")
    return file_receive(SimpleUploadedFile(name, data.getvalue()))


def s_document_originals_attach(w: World) -> Expect:
    document = w.document("scan.pdf")
    photos = [_photo("page-1.jpg"), _photo("page-2.jpg")]
    w.begin()
    document_originals_attach(
        actor=w.actor("owner"), access=w.access("owner"), document=document, originals=photos
    )
    return Expect(w.actor("owner"), w.dossier, document)


def s_document_original_read_record(w: World) -> Expect:
    document = w.document("scan.pdf")
    (original,) = document_originals_attach(
        actor=Actor(user=w.user("owner")),
        access=w.access("owner"),
        document=document,
        originals=[_photo()],
    )
    w.begin()
    document_original_read_record(
        actor=w.actor("user"), access=w.access("user"), document=document, original=original
    )
    return Expect(w.actor("user"), w.dossier, document)


def s_document_text_layer_add(w: World) -> Expect:
    document = w.document("scan.pdf")
    received = w.received("scan.pdf", "Relevé reconnu")
    assert document.current_version_id is not None
    w.begin()
    document_text_layer_add(
        document_id=document.pk, base_version_id=document.current_version_id, received=received
    )
    return Expect(Actor.system(), w.dossier, document)


def s_scan_save(w: World) -> dict[str, Expect]:
    corners = [(40.0, 47.0), (200.0, 47.0), (200.0, 273.0), (40.0, 273.0)]
    pages = [ScannedPage(photo=_photo(), spec=PageSpec(corners=corners))]
    w.begin()
    document = scan_save(
        actor=w.actor("owner"),
        access=w.access("owner"),
        folder=w.folder(),
        name="Reçu",
        pages=pages,
    )
    return {
        "document.uploaded": Expect(w.actor("owner"), w.dossier, document),
        "document.originals_attached": Expect(w.actor("owner"), w.dossier, document),
    }


# --- Scenarios: share links ---------------------------------------------------------------


def s_share_link_create(w: World) -> Expect:
    document = w.document()
    w.begin()
    link, _token = share_link_create(
        actor=w.actor("owner"),
        access=w.access("owner"),
        documents=[document],
        recipients=["banque@exemple.test"],
    )
    return Expect(w.actor("owner"), w.dossier, link)


def s_share_link_revoke(w: World) -> Expect:
    link = w.link()
    w.begin()
    link = share_link_revoke(actor=w.actor("owner"), access=w.access("owner"), link=link)
    return Expect(w.actor("owner"), w.dossier, link)


def s_sharing_policy_update(w: World) -> Expect:
    w.begin()
    policy = sharing_policy_update(
        actor=w.actor("owner"), access=w.access("owner"), require_password=True, max_expiry_days=30
    )
    return Expect(w.actor("owner"), w.dossier, policy)


def s_share_link_open_record(w: World) -> Expect:
    link = w.link()
    actor = link_actor(link, ip=IP, user_agent=USER_AGENT)
    w.begin()
    share_link_open_record(actor=actor, link=link)
    return Expect(actor, w.dossier, link)


def s_share_link_downloads_record(w: World) -> Expect:
    link = w.link()
    document = Document.objects.get(share_link_entries__link=link)
    actor = link_actor(link, ip=IP, user_agent=USER_AGENT)
    w.begin()
    share_link_downloads_record(actor=actor, link=link, documents=[document])
    return Expect(actor, w.dossier, document)


def s_share_link_password_attempt(w: World) -> Expect:
    link = w.link(password="Tournesol-2026")
    actor = link_actor(link, ip=IP, user_agent=USER_AGENT)
    w.begin()
    answer = share_link_password_attempt(actor=actor, link=link, password="pas-le-bon")
    assert answer.checked
    assert not answer.accepted
    return Expect(actor, w.dossier, link)


# --- Scenarios: upload tasks --------------------------------------------------------------


def s_upload_task_create(w: World) -> Expect:
    w.begin()
    task = upload_task_create(
        actor=w.actor("accountant"),
        access=w.access("accountant"),
        title="Pièces de mars",
        assignees=[w.user("owner")],
        steps=[StepSpec("Relevés bancaires", folder=w.folder())],
    )
    return Expect(w.actor("accountant"), w.dossier, task)


def s_task_complete(w: World) -> Expect:
    task = w.task()
    w.begin()
    task = task_complete(actor=w.actor("owner"), access=w.access("owner"), task=task)
    return Expect(w.actor("owner"), w.dossier, task)


def s_task_reopen(w: World) -> Expect:
    task = w.task()
    task_complete(actor=Actor(user=w.user("owner")), access=w.access("owner"), task=task)
    w.begin()
    task = task_reopen(actor=w.actor("accountant"), access=w.access("accountant"), task=task)
    return Expect(w.actor("accountant"), w.dossier, task)


def s_step_add(w: World) -> Expect:
    task = w.task()
    w.begin()
    step = step_add(
        actor=w.actor("accountant"),
        access=w.access("accountant"),
        task=task,
        spec=StepSpec("Bilan"),
    )
    return Expect(w.actor("accountant"), w.dossier, step)


def s_step_complete(w: World) -> Expect:
    step = w.first_step(w.task())
    w.begin()
    step = step_complete(actor=w.actor("owner"), access=w.access("owner"), step=step)
    return Expect(w.actor("owner"), w.dossier, step)


def s_step_mark_not_applicable(w: World) -> Expect:
    step = w.first_step(w.task())
    w.begin()
    step = step_mark_not_applicable(
        actor=w.actor("owner"), access=w.access("owner"), step=step, comment="Pas de compte"
    )
    return Expect(w.actor("owner"), w.dossier, step)


def s_step_reopen(w: World) -> Expect:
    step = w.first_step(w.task())
    step_complete(actor=Actor(user=w.user("owner")), access=w.access("owner"), step=step)
    w.begin()
    step = step_reopen(actor=w.actor("owner"), access=w.access("owner"), step=step)
    return Expect(w.actor("owner"), w.dossier, step)


def s_step_delete(w: World) -> Expect:
    step = w.first_step(w.task())
    w.begin()
    step = step_delete(actor=w.actor("accountant"), access=w.access("accountant"), step=step)
    return Expect(w.actor("accountant"), w.dossier, step)


def s_step_comment_add(w: World) -> Expect:
    step = w.first_step(w.task())
    w.begin()
    step_comment_add(actor=w.actor("owner"), access=w.access("owner"), step=step, body="Voilà")
    return Expect(w.actor("owner"), w.dossier, step)


def s_task_documents_upload(w: World) -> dict[str, Expect]:
    step = w.first_step(w.task())
    w.begin()
    result = task_documents_upload(
        actor=w.actor("owner"), access=w.access("owner"), task=step.task, step=step, files=[pdf()]
    )
    (document,) = result.documents
    return {
        "task.documents_uploaded": Expect(w.actor("owner"), w.dossier, step),
        "document.uploaded": Expect(w.actor("owner"), w.dossier, document),
    }


def s_task_documents_attach(w: World) -> Expect:
    step = w.first_step(w.task())
    document = w.document()
    w.begin()
    task_documents_attach(
        actor=w.actor("owner"),
        access=w.access("owner"),
        task=step.task,
        step=step,
        documents=[document],
    )
    return Expect(w.actor("owner"), w.dossier, step)


# --- Scenarios: approvals -----------------------------------------------------------------


def s_approval_task_create(w: World) -> Expect:
    document = w.document("bilan.pdf")
    w.begin()
    task = approval_task_create(
        actor=w.actor("accountant"),
        access=w.access("accountant"),
        title="Comptes annuels",
        assignees=[w.user("owner")],
        documents=[document],
    )
    return Expect(w.actor("accountant"), w.dossier, task)


def s_approval_document_open(w: World) -> Expect:
    task = w.approval()
    w.begin()
    approval_document_open(
        actor=w.actor("owner"),
        access=w.access("owner"),
        task_document=TaskDocument.objects.get(task=task),
    )
    return Expect(w.actor("owner"), w.dossier, task)


def s_approval_approve(w: World) -> Expect:
    task = w.approval()
    approval_document_open(
        actor=Actor(user=w.user("owner")),
        access=w.access("owner"),
        task_document=TaskDocument.objects.get(task=task),
    )
    w.begin()
    approval_approve(actor=w.actor("owner"), access=w.access("owner"), task=task)
    task.refresh_from_db()
    return Expect(w.actor("owner"), w.dossier, task)


def s_approval_decline(w: World) -> Expect:
    task = w.approval()
    w.begin()
    approval_decline(
        actor=w.actor("owner"), access=w.access("owner"), task=task, comment="Il manque l'annexe"
    )
    task.refresh_from_db()
    return Expect(w.actor("owner"), w.dossier, task)


# --- Scenarios: reminders -----------------------------------------------------------------


def _task_due_for_a_reminder(w: World) -> Task:
    task = w.task(due_date=timezone.localdate() + datetime.timedelta(days=2))
    Task.objects.filter(pk=task.pk).update(
        next_reminder_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    return task


def s_task_reminder_send(w: World) -> Expect:
    task = _task_due_for_a_reminder(w)
    w.begin()
    assert task_reminder_send(task_id=task.pk, now=timezone.now())
    return Expect(REMINDER_ACTOR, w.dossier, task)


def s_task_reminders_send_due(w: World) -> Expect:
    task = _task_due_for_a_reminder(w)
    w.begin()
    assert task_reminders_send_due(now=timezone.now()) == 1
    return Expect(REMINDER_ACTOR, w.dossier, task)


def s_task_reminder_rules_update(w: World) -> Expect:
    task = w.task(due_date=timezone.localdate() + datetime.timedelta(days=20))
    w.begin()
    task = task_reminder_rules_update(
        actor=w.actor("accountant"),
        access=w.access("accountant"),
        task=task,
        days_before=2,
        on_due_date=True,
        every_days=3,
        max_count=4,
    )
    return Expect(w.actor("accountant"), w.dossier, task)


# --- Scenarios: templates and recurrences -------------------------------------------------


def s_task_template_create(w: World) -> Expect:
    staff = w.user("staff")
    w.begin()
    template = task_template_create(
        actor=w.actor("staff"), user=staff, name="Clôture", title="Pièces de clôture"
    )
    return Expect(w.actor("staff"), None, template)


def s_task_template_update(w: World) -> Expect:
    template = w.template()
    w.begin()
    template = task_template_update(
        actor=w.actor("staff"),
        user=w.user("staff"),
        template=template,
        name="Pièces mensuelles",
        title="Pièces du mois",
    )
    return Expect(w.actor("staff"), None, template)


def s_task_template_delete(w: World) -> dict[str, Expect]:
    schedule = w.schedule()
    template = Target.of(schedule.template)
    recurrence = Target.of(schedule)
    w.begin()
    task_template_delete(actor=w.actor("staff"), user=w.user("staff"), template=schedule.template)
    return {
        "task.template_deleted": Expect(w.actor("staff"), None, template),
        "task.schedule_deleted": Expect(w.actor("staff"), w.dossier, recurrence),
    }


def s_task_save_as_template(w: World) -> Expect:
    task = w.task()
    w.begin()
    task_save_as_template(
        actor=w.actor("accountant"), access=w.access("accountant"), task=task, name="Mensuel"
    )
    return Expect(w.actor("accountant"), w.dossier, task)


def s_task_template_send(w: World) -> Expect:
    template = w.template()
    w.begin()
    task = task_template_send(
        actor=w.actor("staff"),
        access=w.access("staff"),
        template=template,
        run_on=timezone.localdate(),
    )
    return Expect(w.actor("staff"), w.dossier, task)


def s_task_schedule_create(w: World) -> Expect:
    template = w.template()
    w.begin()
    (schedule,) = task_schedule_create(
        actor=w.actor("staff"),
        user=w.user("staff"),
        template=template,
        dossiers=[w.dossier],
        frequency=Frequency.MONTHLY,
        first_run_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    return Expect(w.actor("staff"), w.dossier, schedule)


def s_task_schedule_pause(w: World) -> Expect:
    schedule = w.schedule()
    w.begin()
    schedule = task_schedule_pause(
        actor=w.actor("staff"), access=w.access("staff"), schedule=schedule
    )
    return Expect(w.actor("staff"), w.dossier, schedule)


def s_task_schedule_resume(w: World) -> Expect:
    schedule = w.schedule()
    task_schedule_pause(
        actor=Actor(user=w.user("staff")), access=w.access("staff"), schedule=schedule
    )
    w.begin()
    schedule = task_schedule_resume(
        actor=w.actor("staff"), access=w.access("staff"), schedule=schedule
    )
    return Expect(w.actor("staff"), w.dossier, schedule)


def s_task_schedule_delete(w: World) -> Expect:
    schedule = w.schedule()
    target = Target.of(schedule)
    w.begin()
    task_schedule_delete(actor=w.actor("staff"), access=w.access("staff"), schedule=schedule)
    return Expect(w.actor("staff"), w.dossier, target)


def s_task_schedule_run(w: World) -> Expect:
    today = timezone.localdate()
    schedule = w.schedule(first_run_on=today)
    w.begin()
    task = task_schedule_run(schedule_id=schedule.pk, today=today)
    assert task is not None
    # The worker acts as the schedule's sender, with no request: no address, no browser.
    return Expect(Actor(user=w.user("staff")), w.dossier, task)


# --- Scenarios: notification preferences --------------------------------------------------


def s_notification_preferences_update(w: World) -> Expect:
    w.begin()
    notification_preferences_update(
        actor=w.actor("owner"), user=w.user("owner"), deliveries={"task_received": "never"}
    )
    return Expect(w.actor("owner"), None, w.user("owner"))


def s_notification_unsubscribe(w: World) -> Expect:
    actor = Actor(user=None, ip=IP, user_agent=USER_AGENT, label="lien de désabonnement")
    w.begin()
    notification_unsubscribe(actor=actor, user=w.user("owner"), kind="link_opened")
    return Expect(actor, None, w.user("owner"))


# --- Scenarios: the log's own exports ----------------------------------------------------
# Imported where used: the export module is young, the rest of the table must not depend
# on its names to load.


def _export_scope(w: World) -> Any:
    from comptoir.audit.actions_export import scope_of_dossier
    from comptoir.audit.selectors import EventFilters

    return scope_of_dossier(w.access("owner"), EventFilters())


def s_export_record(w: World) -> Expect:
    from comptoir.audit.actions_export import export_record

    scope = _export_scope(w)
    w.begin()
    export_record(actor=w.actor("owner"), scope=scope, format="csv", delimiter=";", rows=3)
    return Expect(w.actor("owner"), w.dossier, None)


def s_export_request(w: World) -> Expect:
    from comptoir.audit.actions_export import export_request

    scope = _export_scope(w)
    w.begin()
    export_request(actor=w.actor("owner"), scope=scope, format="xlsx", delimiter=";")
    return Expect(w.actor("owner"), w.dossier, None)


# --- Scenarios: accounting ---------------------------------------------------------------
# Imported where used, as the log's exports are.


def _accounting_batch(w: World) -> Any:
    from comptoir.accounting.actions_batches import batch_collect
    from comptoir.accounting.tests.factories import sale

    sale(w.dossier, on=timezone.localdate())
    return batch_collect(
        actor=Actor(user=w.user("accountant")),
        access=w.access("accountant"),
        up_to=timezone.localdate(),
    )


def s_batch_collect(w: World) -> Expect:
    from comptoir.accounting.actions_batches import batch_collect
    from comptoir.accounting.tests.factories import sale

    sale(w.dossier, on=timezone.localdate())
    w.begin()
    batch = batch_collect(
        actor=w.actor("accountant"), access=w.access("accountant"), up_to=timezone.localdate()
    )
    return Expect(w.actor("accountant"), w.dossier, batch)


def s_batch_cancel(w: World) -> Expect:
    from comptoir.accounting.actions_batches import batch_cancel

    batch = _accounting_batch(w)
    w.begin()
    batch_cancel(actor=w.actor("accountant"), access=w.access("accountant"), batch=batch)
    return Expect(w.actor("accountant"), w.dossier, batch)


def s_batch_download(w: World) -> Expect:
    from comptoir.accounting.actions_batches import batch_download

    batch = _accounting_batch(w)
    w.begin()
    file, _name = batch_download(
        actor=w.actor("accountant"), access=w.access("accountant"), batch=batch, format="fec"
    )
    file.close()
    return Expect(w.actor("accountant"), w.dossier, batch)


def s_ledger_export_record(w: World) -> Expect:
    from comptoir.accounting.actions_batches import ledger_export_record

    w.begin()
    ledger_export_record(
        actor=w.actor("accountant"),
        access=w.access("accountant"),
        closing=datetime.date(2026, 12, 31),
        format="fec",
    )
    return Expect(w.actor("accountant"), w.dossier, w.dossier)


def s_chart_update(w: World) -> Expect:
    from comptoir.accounting.actions_chart import chart_update

    w.begin()
    chart_update(
        actor=w.actor("accountant"),
        access=w.access("accountant"),
        mapping={"bank": "512100"},
        labels={"512100": "Banque Populaire"},
    )
    return Expect(w.actor("accountant"), w.dossier, w.dossier)


def s_tus_upload_finish(w: World) -> Expect:
    from comptoir.capture.actions_tus import tus_upload_append, tus_upload_create

    content = pdf_bytes("Relevé envoyé par morceaux")
    upload = tus_upload_create(
        actor=w.actor("owner"),
        access=w.access("owner"),
        length=len(content),
        metadata={"filename": "releve.pdf", "folder": str(w.folder().pk)},
    )
    tus_upload_append(
        actor=w.actor("owner"),
        access=w.access("owner"),
        upload=upload,
        offset=0,
        stream=io.BytesIO(content[:-10]),
        content_length=len(content) - 10,
    )
    # The last chunk's append finishes the upload: tus_upload_finish, with its event.
    w.begin()
    upload = tus_upload_append(
        actor=w.actor("owner"),
        access=w.access("owner"),
        upload=upload,
        offset=len(content) - 10,
        stream=io.BytesIO(content[-10:]),
        content_length=10,
    )
    return Expect(w.actor("owner"), w.dossier, upload.document)


# --- Scenarios: a dossier's full export ---------------------------------------------------


def s_dossier_export_request(w: World) -> Expect:
    from comptoir.portability.actions import dossier_export_request

    w.begin()
    dossier_export_request(actor=w.actor("owner"), access=w.access("owner"))
    return Expect(w.actor("owner"), w.dossier, None)


# --- The table ----------------------------------------------------------------------------

HELPER = "a pure helper: computes a value, writes nothing"
QUERY = "a query: reads, writes nothing"

TABLE: dict[str, Scenario | Exemption] = {
    # accounts
    "accounts.actions.user_create": scenario(s_user_create, "account.created"),
    "accounts.actions.user_language_set": scenario(s_user_language_set, "account.language_changed"),
    "accounts.actions.user_remember_dossier": Exemption(
        "the dossier last opened, written on every dossier page: a navigation preference "
        "remembered for the next login, not a change anyone acts on (see its docstring)"
    ),
    # dossiers
    "dossiers.actions.dossier_create": scenario(s_dossier_create, "dossier.created"),
    "dossiers.actions.dossier_update": scenario(s_dossier_update, "dossier.updated"),
    "dossiers.actions.dossier_delete": scenario(s_dossier_delete, "dossier.deleted"),
    "dossiers.actions.membership_change_role": scenario(
        s_membership_change_role, "member.role_changed"
    ),
    "dossiers.actions.membership_remove": scenario(s_membership_remove, "member.removed"),
    "dossiers.actions.ownership_transfer": scenario(
        s_ownership_transfer, "dossier.ownership_transferred"
    ),
    "dossiers.actions.profile_save": scenario(s_profile_save, "profile.created"),
    "dossiers.actions.profile_delete": scenario(s_profile_delete, "profile.deleted"),
    "dossiers.actions.invitation_create": scenario(s_invitation_create, "invitation.created"),
    "dossiers.actions.invitation_revoke": scenario(s_invitation_revoke, "invitation.revoked"),
    "dossiers.actions.invitation_resend": scenario(s_invitation_resend, "invitation.resent"),
    "dossiers.actions.invitation_accept": scenario(s_invitation_accept, "invitation.accepted"),
    "dossiers.actions.invitation_by_token": Exemption(QUERY + " (the invitation of a token)"),
    "dossiers.actions.user_mark_email_verified": scenario(
        s_user_mark_email_verified, "account.email_confirmed"
    ),
    "dossiers.actions.firm_create": scenario(s_firm_create, "firm.created"),
    "dossiers.actions.firm_member_remove": scenario(s_firm_member_remove, "firm.member_removed"),
    "dossiers.actions.firm_update": scenario(s_firm_update, "firm.updated"),
    "dossiers.actions.firm_access_grant": scenario(s_firm_access_grant, "firm_access.granted"),
    "dossiers.actions.firm_access_revoke": scenario(s_firm_access_revoke, "firm_access.revoked"),
    # documents
    "documents.actions.folders_create_defaults": Exemption(
        "a step of dossier_create, inside its transaction: its dossier.created event lists "
        "the default folders the dossier starts with"
    ),
    "documents.actions.folder_create": scenario(s_folder_create, "folder.created"),
    "documents.actions.folder_rename": scenario(s_folder_rename, "folder.renamed"),
    "documents.actions.folder_move": scenario(s_folder_move, "folder.moved"),
    "documents.actions.folder_delete": scenario(s_folder_delete, "folder.deleted"),
    "documents.actions.document_upload": scenario(s_document_upload, "document.uploaded"),
    "documents.actions_originals.document_originals_attach": scenario(
        s_document_originals_attach, "document.originals_attached"
    ),
    "documents.actions_originals.document_original_read_record": scenario(
        s_document_original_read_record, "document.original_downloaded"
    ),
    "documents.actions_originals.document_text_layer_add": scenario(
        s_document_text_layer_add, "document.text_layer_added"
    ),
    "capture.actions_scan.scan_save": scenario(
        s_scan_save, "document.uploaded", "document.originals_attached"
    ),
    "documents.actions.document_version_add": scenario(
        s_document_version_add, "document.version_added"
    ),
    "documents.actions.document_rename": scenario(s_document_rename, "document.renamed"),
    "documents.actions.documents_move": scenario(s_documents_move, "document.moved"),
    "documents.actions.documents_trash": scenario(s_documents_trash, "document.trashed"),
    "documents.actions.document_restore": scenario(s_document_restore, "document.restored"),
    "documents.actions.document_read_record": scenario(s_document_read_record, "document.viewed"),
    "documents.actions.documents_zip_record": scenario(
        s_documents_zip_record, "document.downloaded"
    ),
    "documents.actions.document_purge": scenario(s_document_purge, "document.purged"),
    # sharing
    "sharing.actions.share_link_create": scenario(s_share_link_create, "share_link.created"),
    "sharing.actions.share_link_revoke": scenario(s_share_link_revoke, "share_link.revoked"),
    "sharing.actions.sharing_policy_update": scenario(
        s_sharing_policy_update, "sharing_policy.updated"
    ),
    "sharing.actions.share_link_open_record": scenario(
        s_share_link_open_record, "share_link.opened"
    ),
    "sharing.actions.share_link_downloads_record": scenario(
        s_share_link_downloads_record, "share_link.downloaded"
    ),
    "sharing.actions.share_link_password_attempt": scenario(
        s_share_link_password_attempt, "share_link.password_failed"
    ),
    "sharing.actions.policy_of": Exemption(QUERY + " (the dossier's sharing policy)"),
    "sharing.actions.expiry_from_date": Exemption(HELPER + " (a date to an expiry time)"),
    "sharing.actions.expiry_cap": Exemption(HELPER + " (the policy's longest expiry)"),
    "sharing.actions.recipients_clean": Exemption(HELPER + " (validates addresses)"),
    "sharing.actions.link_url": Exemption(HELPER + " (a link's address)"),
    "sharing.actions.link_actor": Exemption(HELPER + " (the Actor a link acts as)"),
    "sharing.actions.downloads_refusal": Exemption(HELPER + " (why a download is refused)"),
    "sharing.actions.password_throttle": Exemption(
        QUERY + " (the throttle of a link's password, from its failures)"
    ),
    # upload tasks
    "assignments.actions.upload_task_create": scenario(s_upload_task_create, "task.created"),
    "assignments.actions.task_complete": scenario(s_task_complete, "task.completed"),
    "assignments.actions.task_reopen": scenario(s_task_reopen, "task.reopened"),
    "assignments.actions.step_add": scenario(s_step_add, "task.step_added"),
    "assignments.actions.step_complete": scenario(s_step_complete, "task.step_completed"),
    "assignments.actions.step_mark_not_applicable": scenario(
        s_step_mark_not_applicable, "task.step_not_applicable"
    ),
    "assignments.actions.step_reopen": scenario(s_step_reopen, "task.step_reopened"),
    "assignments.actions.step_delete": scenario(s_step_delete, "task.step_deleted"),
    "assignments.actions.step_comment_add": scenario(s_step_comment_add, "task.step_commented"),
    "assignments.actions.task_documents_upload": scenario(
        s_task_documents_upload, "task.documents_uploaded", "document.uploaded"
    ),
    "assignments.actions.task_documents_attach": scenario(
        s_task_documents_attach, "task.documents_attached"
    ),
    # approvals
    "assignments.actions_approval.approval_task_create": scenario(
        s_approval_task_create, "task.created"
    ),
    "assignments.actions_approval.approval_document_open": scenario(
        s_approval_document_open, "task.document_opened"
    ),
    "assignments.actions_approval.approval_approve": scenario(s_approval_approve, "task.approved"),
    "assignments.actions_approval.approval_decline": scenario(s_approval_decline, "task.declined"),
    "assignments.actions_approval.can_decide": Exemption(HELPER + " (a permission check)"),
    "assignments.actions_approval.unopened_documents": Exemption(
        QUERY + " (the documents a person has not opened yet)"
    ),
    # reminders
    "assignments.actions_reminders.task_reminder_send": scenario(
        s_task_reminder_send, "task.reminder_sent"
    ),
    "assignments.actions_reminders.task_reminders_send_due": scenario(
        s_task_reminders_send_due, "task.reminder_sent"
    ),
    "assignments.actions_reminders.task_reminder_rules_update": scenario(
        s_task_reminder_rules_update, "task.reminder_rules_changed"
    ),
    "assignments.actions_reminders.task_url": Exemption(HELPER + " (a task's address)"),
    "assignments.actions_reminders.reminder_words": Exemption(
        HELPER + " (a reminder's title and body)"
    ),
    # templates and recurrences
    "assignments.actions_templates.task_template_create": scenario(
        s_task_template_create, "task.template_created"
    ),
    "assignments.actions_templates.task_template_update": scenario(
        s_task_template_update, "task.template_updated"
    ),
    "assignments.actions_templates.task_template_delete": scenario(
        s_task_template_delete, "task.template_deleted", "task.schedule_deleted"
    ),
    "assignments.actions_templates.task_save_as_template": scenario(
        s_task_save_as_template, "task.saved_as_template"
    ),
    "assignments.actions_templates.task_template_send": scenario(
        s_task_template_send, "task.created"
    ),
    "assignments.actions_templates.task_schedule_create": scenario(
        s_task_schedule_create, "task.schedule_created"
    ),
    "assignments.actions_templates.task_schedule_pause": scenario(
        s_task_schedule_pause, "task.schedule_paused"
    ),
    "assignments.actions_templates.task_schedule_resume": scenario(
        s_task_schedule_resume, "task.schedule_resumed"
    ),
    "assignments.actions_templates.task_schedule_delete": scenario(
        s_task_schedule_delete, "task.schedule_deleted"
    ),
    "assignments.actions_templates.task_schedule_run": scenario(
        s_task_schedule_run, "task.created"
    ),
    "assignments.actions_templates.template_steps": Exemption(
        HELPER + " (a template's steps as objects)"
    ),
    "assignments.actions_templates.template_firm_for": Exemption(
        QUERY + " (the firm a new template is shared with)"
    ),
    "assignments.actions_templates.sending_dossier_ids": Exemption(
        QUERY + " (the dossiers a person may send tasks to)"
    ),
    "assignments.actions_templates.owners_to_assign": Exemption(
        QUERY + " (who receives a recurring task)"
    ),
    # notifications
    "notifications.actions.notification_preferences_update": scenario(
        s_notification_preferences_update, "notification_preferences.changed"
    ),
    "notifications.actions.notification_unsubscribe": scenario(
        s_notification_unsubscribe, "notification_preferences.unsubscribed"
    ),
    "notifications.actions.notification_send": Exemption(
        "notification plumbing: called by the actions that record the event it tells about "
        "(task.created, task.reminder_sent, share_link.opened…), inside their transaction"
    ),
    "notifications.actions.notifications_mark_read": Exemption(
        "the person's own reading state of their notifications: changes no dossier or "
        "account data (a decision stated in the module's docstring)"
    ),
    "notifications.actions.notification_digests_send": Exemption(
        "the worker's hourly job: mails notifications already in the app (each one's event "
        "was recorded by the action that sent it); loops over notification_digest_send"
    ),
    "notifications.actions.notification_digest_send": Exemption(
        "the worker's step for one person's digest email: delivery of notifications whose "
        "events are already recorded, no user action"
    ),
    "notifications.actions.digest_cutoff": Exemption(HELPER + " (this morning's digest time)"),
    "notifications.actions.safe_path": Exemption(HELPER + " (a URL check)"),
    "notifications.actions.base_url": Exemption(HELPER + " (the configured address)"),
    "notifications.actions.absolute_url": Exemption(HELPER + " (an absolute address)"),
    "notifications.actions.unsubscribe_url": Exemption(HELPER + " (a signed address)"),
    "notifications.actions.email_headers": Exemption(HELPER + " (List-Unsubscribe headers)"),
    # audit
    "audit.actions.record": Exemption("the recorder itself: every scenario above goes through it"),
    "audit.actions_export.export_record": scenario(s_export_record, "audit.exported"),
    "audit.actions_export.export_request": scenario(s_export_request, "audit.exported"),
    "audit.actions_export.export_run": Exemption(
        "the worker's job writing the file of an export whose audit.exported event was "
        "recorded when it was asked for (export_request)"
    ),
    "audit.actions_export.exports_purge": Exemption(
        "the worker's retention job: removes expired export files and their rows, which "
        "are no one's data (the events saying who exported what stay)"
    ),
    "audit.actions_export.export_access_now": Exemption(
        QUERY + " (the requester's access, as it stands, to what an export covers)"
    ),
    "audit.actions_export.scope_of_dossier": Exemption(
        HELPER + " (what a dossier's export covers)"
    ),
    "audit.actions_export.scope_across": Exemption(HELPER + " (what an export across covers)"),
    "audit.actions_export.scope_of_export": Exemption(HELPER + " (what an export row covers)"),
    # Accounting: the ledger's two steps are called by invoicing's actions, which record.
    "accounting.actions.entry_post": Exemption(
        "a step of the invoicing action (issue, credit note, payment), which records"
    ),
    "accounting.actions.entry_lines_letter": Exemption(
        "a step of the invoicing action recording a payment, which records"
    ),
    "accounting.actions.lettering_code": Exemption(HELPER + " (the n-th lettering code)"),
    "accounting.actions_batches.batch_collect": scenario(
        s_batch_collect, "accounting.batch_collected"
    ),
    "accounting.actions_batches.batch_cancel": scenario(
        s_batch_cancel, "accounting.batch_cancelled"
    ),
    "accounting.actions_batches.batch_download": scenario(
        s_batch_download, "accounting.batch_downloaded"
    ),
    "accounting.actions_batches.ledger_export_record": scenario(
        s_ledger_export_record, "accounting.ledger_exported"
    ),
    "accounting.actions_chart.chart_update": scenario(s_chart_update, "accounting.chart_updated"),
    # capture: a resumable upload is transport state; the document it becomes is recorded
    "capture.actions_tus.tus_upload_finish": scenario(s_tus_upload_finish, "document.uploaded"),
    "capture.actions_tus.tus_upload_create": Exemption(
        "starts a resumable upload: a row and an empty file of the person's own, no change "
        "to the dossier; the document it becomes is recorded by tus_upload_finish"
    ),
    "capture.actions_tus.tus_upload_append": Exemption(
        "appends bytes to the person's partial file; its last chunk calls tus_upload_finish, "
        "which records (see that scenario)"
    ),
    "capture.actions_tus.tus_upload_terminate": Exemption(
        "stops an unfinished upload: its row and partial bytes go, no document ever existed"
    ),
    "capture.actions_tus.tus_uploads_purge": Exemption(
        "the worker's internals: removes abandoned partial uploads and their bytes"
    ),
    # portability
    "portability.actions.dossier_export_request": scenario(
        s_dossier_export_request, "dossier.exported"
    ),
    "portability.actions.dossier_export_allowed": Exemption(
        HELPER + " (who may export the whole dossier)"
    ),
}


def _invoicing_entries() -> dict[str, Scenario | Exemption]:
    """The invoicing app keeps its scenarios next to its tests (its own fixtures)."""
    from comptoir.invoicing.tests.audit_scenarios import EXEMPTIONS, SCENARIOS

    def wrap(run: Callable[[World], tuple[Actor, Any, Any]]) -> Run:
        return lambda w: Expect(*run(w))

    entries: dict[str, Scenario | Exemption] = {
        key: scenario(wrap(run), *codes) for key, (run, codes) in SCENARIOS.items()
    }
    entries.update({key: Exemption(reason) for key, reason in EXEMPTIONS.items()})
    return entries


TABLE.update(_invoicing_entries())


# --- The tests ----------------------------------------------------------------------------

ACTIONS = public_actions()


def test_the_enumeration_finds_the_actions():
    # Guards the enumeration itself: a broken glob or import would make the table vacuous.
    assert len(ACTIONS) >= 90
    assert "dossiers.actions.dossier_create" in ACTIONS
    assert "audit.actions.Actor" not in ACTIONS  # a class, not a function
    assert "documents.actions.record" not in ACTIONS  # imported, not defined there


def test_the_table_names_only_existing_functions():
    stale = sorted(set(TABLE) - set(ACTIONS))
    assert not stale, f"no such public function any more, remove its entry: {stale}"


@pytest.mark.parametrize("key", ACTIONS)
def test_every_action_records(key: str, office, django_capture_on_commit_callbacks) -> None:
    entry = TABLE.get(key)
    if entry is None:
        pytest.fail(f"add a scenario or an exemption for {key} (in {__name__}.TABLE)")
    if isinstance(entry, Exemption):
        assert len(entry.reason.strip()) >= 20, f"{key}: say why it records nothing"
        return
    world = World(office=office)
    # Emails and notifications queued after commit are left out: they record nothing.
    with django_capture_on_commit_callbacks(execute=False):
        answer = entry.run(world)
    assert world.began_after is not None, f"{key}: the scenario must call w.begin() before acting"
    expects = answer if isinstance(answer, dict) else dict.fromkeys(entry.codes, answer)
    assert set(expects) == set(entry.codes), f"{key}: the scenario answers for other codes"
    events = list(AuditEvent.objects.filter(pk__gt=world.began_after).order_by("pk"))
    for code, expect in expects.items():
        check_event(key, code, expect, events)


def check_event(key: str, code: str, expect: Expect, events: list[AuditEvent]) -> None:
    recorded = [event for event in events if event.action == code]
    seen = [event.action for event in events]
    assert recorded, f"{key} recorded no {code!r} event (it recorded {seen})"
    wanted = _wanted(expect)
    found = [_fields(event) for event in recorded]
    assert wanted in found, f"{key}: no {code!r} event says {wanted}; recorded: {found}"


def _wanted(expect: Expect) -> dict[str, object]:
    actor = expect.actor
    target = expect.target
    if isinstance(target, models.Model):
        target = Target.of(target)
    return {
        "dossier": expect.dossier.pk if expect.dossier is not None else None,
        "actor": actor.user.pk if actor.user is not None else None,
        "actor_label": actor.label or (actor.user.email if actor.user is not None else "système"),
        "object": (target.type, target.id, target.repr) if target else ("", "", ""),
        "ip": actor.ip,
        "user_agent": actor.user_agent,
    }


def _fields(event: AuditEvent) -> dict[str, object]:
    return {
        "dossier": event.dossier_id,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "object": (event.object_type, event.object_id, event.object_repr),
        "ip": event.ip,
        "user_agent": event.user_agent,
    }


def test_a_scenario_carries_the_address_it_checks(office) -> None:
    # The check compares ip and user_agent with the Actor's: they must be there to compare.
    world = World(office=office)
    actor = world.actor()
    assert (actor.ip, actor.user_agent) == (IP, USER_AGENT)


@pytest.mark.parametrize(
    "change",
    [
        {"object_type": "", "object_id": "", "object_repr": ""},  # no object
        {"dossier_id": None},  # no dossier
        {"ip": None},  # the address lost
        {"user_agent": ""},  # the browser lost
        {"actor_id": None, "actor_label": "système"},  # nobody
        {"action": "document.renamed"},  # another action
    ],
)
def test_the_check_refuses_an_event_that_says_less(change: dict[str, Any]) -> None:
    # The check itself, on events made in memory: each missing piece fails it.
    dossier = Dossier(pk=7, name="Alpha SARL")
    user = User(pk=3, email="owner@alpha.test")
    document = Document(pk=11, name="releve.pdf")
    actor = Actor(user=user, ip=IP, user_agent=USER_AGENT)
    complete = {
        "action": "document.uploaded",
        "dossier_id": dossier.pk,
        "actor_id": user.pk,
        "actor_label": user.email,
        "object_type": "documents.document",
        "object_id": "11",
        "object_repr": "releve.pdf",
        "ip": IP,
        "user_agent": USER_AGENT,
    }
    expect = Expect(actor, dossier, document)
    check_event("x", "document.uploaded", expect, [AuditEvent(**complete)])
    with pytest.raises(AssertionError):
        check_event("x", "document.uploaded", expect, [AuditEvent(**{**complete, **change})])
