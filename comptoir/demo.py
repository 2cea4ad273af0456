"""The demo data contract (README, issue tracker): who exists in `comptoir demo`.

Loaded once; a restart keeps what the person trying the demo changed. Each capability
adds its part here, through the same actions the application uses.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from comptoir.accounts.actions import user_create
from comptoir.accounts.models import User
from comptoir.audit.actions import Actor
from comptoir.core.models import InstanceMarker
from comptoir.demo_accounting import demo_accounting_load
from comptoir.demo_approvals import demo_approvals_load
from comptoir.demo_documents import demo_pdf
from comptoir.demo_invoicing import demo_invoicing_load
from comptoir.demo_tasks import demo_tasks_load
from comptoir.demo_templates import demo_templates_load
from comptoir.documents.actions import document_upload, document_version_add, documents_trash
from comptoir.documents.models import Document, Folder
from comptoir.documents.processing import document_process
from comptoir.documents.uploads import ReceivedFile, file_receive
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.actions import dossier_create, firm_access_grant, firm_create
from comptoir.dossiers.models import FirmMember, Membership
from comptoir.dossiers.permissions import Role
from comptoir.sharing.actions import expiry_from_date, share_link_create
from comptoir.sharing.models import ShareLink

DEMO_PASSWORD = "comptoir-demo-2026"  # noqa: S105 - published demo password
DEMO_MARKER = "demo-data-v1"
# The password of the demo's active share link (README): given to the bank separately.
DEMO_LINK_PASSWORD = "partage-demo-2026"  # noqa: S105 - published demo password
DEMO_LINK_RECIPIENT = "banque@demo.test"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    first_name: str
    last_name: str
    role: str
    is_staff: bool = False


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "comptable@cabinet-martin.test",
        "Claire",
        "Martin",
        "Comptable, administratrice du Cabinet Martin & Associés",
    ),
    DemoLogin(
        "assistant@cabinet-martin.test", "Hugo", "Bernard", "Assistant, Cabinet Martin & Associés"
    ),
    DemoLogin(
        "gerant@alwaysclean.test", "Sophie", "Lefèvre", "Gérante (propriétaire), Always Clean SARL"
    ),
    DemoLogin(
        "employe@alwaysclean.test", "Karim", "Benali", "Salarié (Utilisateur), Always Clean SARL"
    ),
    DemoLogin(
        "dupont@boulangerie-dupont.test",
        "Jean",
        "Dupont",
        "Gérant (propriétaire), Boulangerie Dupont",
    ),
    DemoLogin(
        "multi@demo.test", "Inès", "Moreau", "Gérante, Atelier Multi et Studio Multi (2 dossiers)"
    ),
    DemoLogin("operateur@comptoir.test", "Olivier", "Roux", "Opérateur (admin)", is_staff=True),
)


def demo_is_loaded() -> bool:
    return InstanceMarker.objects.filter(key=DEMO_MARKER).exists()


@transaction.atomic
def demo_load() -> bool:
    """Create the demo data unless it was created before. Returns True if it loaded now."""
    _marker, created = InstanceMarker.objects.get_or_create(key=DEMO_MARKER)
    if not created:
        return False
    users = {
        login.email: user_create(
            email=login.email,
            password=DEMO_PASSWORD,
            first_name=login.first_name,
            last_name=login.last_name,
            email_verified=True,
            is_staff=login.is_staff,
        )
        for login in DEMO_LOGINS
    }
    _load_dossiers(users)
    documents = _load_documents(users)
    _load_share_links(users, documents)
    demo_tasks_load(users)
    demo_approvals_load(users)
    demo_templates_load(users)
    demo_invoicing_load(users)
    demo_accounting_load(users)
    return True


def _load_dossiers(users: dict[str, User]) -> None:
    comptable = users["comptable@cabinet-martin.test"]
    gerant = users["gerant@alwaysclean.test"]
    dupont = users["dupont@boulangerie-dupont.test"]
    multi = users["multi@demo.test"]

    firm = firm_create(
        actor=Actor(user=comptable), name="Cabinet Martin & Associés", slug="cabinet-martin"
    )
    # The demo's people already have accounts and nobody reads the demo's mailbox: they
    # join directly instead of through the invitation flow (which the tests cover).
    FirmMember.objects.create(firm=firm, user=users["assistant@cabinet-martin.test"])

    always_clean = dossier_create(
        actor=Actor(user=gerant),
        name="Always Clean SARL",
        slug="always-clean",
        siren="732829320",
        address="12 rue de la République\n69002 Lyon",
    )
    # A restricted Utilisateur: the base role, none of the options the owner may add.
    Membership.objects.create(
        dossier=always_clean,
        user=users["employe@alwaysclean.test"],
        role=Role.USER,
        extra_permissions=[],
    )
    firm_access_grant(
        actor=Actor(user=gerant),
        access=dossier_access_for(gerant, always_clean.slug),
        firm=firm,
    )

    boulangerie = dossier_create(
        actor=Actor(user=dupont),
        name="Boulangerie Dupont",
        slug="boulangerie-dupont",
        siren="812345676",
        address="3 place du Marché\n35000 Rennes",
        fiscal_year_end_month=6,
        fiscal_year_end_day=30,
    )
    firm_access_grant(
        actor=Actor(user=dupont),
        access=dossier_access_for(dupont, boulangerie.slug),
        firm=firm,
    )

    dossier_create(
        actor=Actor(user=multi),
        name="Atelier Multi",
        slug="atelier-multi",
        siren="847654324",
        address="8 rue des Artisans\n33000 Bordeaux",
    )
    dossier_create(
        actor=Actor(user=multi),
        name="Studio Multi",
        slug="studio-multi",
        siren="901234567",
        address="21 boulevard Voltaire\n75011 Paris",
    )


# --- Documents ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoDocument:
    dossier: str
    folder: str
    uploader: str
    name: str
    # Key of its content in comptoir.demo_documents.PAPERS.
    paper: str


DEMO_DOCUMENTS: tuple[DemoDocument, ...] = (
    DemoDocument(
        "always-clean",
        "Comptabilité",
        "gerant@alwaysclean.test",
        "Relevé de compte janvier 2026.pdf",
        "releve-always-clean",
    ),
    DemoDocument(
        "always-clean",
        "Comptabilité",
        "employe@alwaysclean.test",
        "Note de frais janvier 2026 - Karim Benali.pdf",
        "note-de-frais",
    ),
    DemoDocument(
        "always-clean",
        "Factures",
        "gerant@alwaysclean.test",
        "Facture Hygiène Pro Lyon FA-2026-0117.pdf",
        "facture-hygiene-pro",
    ),
    DemoDocument(
        "always-clean",
        "Factures",
        "gerant@alwaysclean.test",
        "Devis DEV-2026-014 vitrerie.pdf",
        "devis-v1",
    ),
    DemoDocument(
        "always-clean",
        "Social",
        "comptable@cabinet-martin.test",
        "Bulletin de salaire janvier 2026 (anonymisé).pdf",
        "bulletin-salaire",
    ),
    DemoDocument(
        "always-clean",
        "Social",
        "gerant@alwaysclean.test",
        "Attestation de vigilance URSSAF février 2026.pdf",
        "attestation-urssaf",
    ),
    DemoDocument(
        "always-clean",
        "Fiscal",
        "comptable@cabinet-martin.test",
        "Liasse fiscale 2025 - extrait 2033-A et 2033-B.pdf",
        "liasse-fiscale",
    ),
    DemoDocument(
        "always-clean",
        "Juridique",
        "gerant@alwaysclean.test",
        "Statuts Always Clean SARL.pdf",
        "statuts",
    ),
    DemoDocument(
        "always-clean",
        "Juridique",
        "gerant@alwaysclean.test",
        "Extrait Kbis Always Clean mars 2026.pdf",
        "kbis-always-clean",
    ),
    DemoDocument(
        "always-clean",
        "Juridique",
        "gerant@alwaysclean.test",
        "Procès-verbal AGO du 15 juin 2026.pdf",
        "pv-ag",
    ),
    DemoDocument(
        "always-clean",
        "Juridique",
        "gerant@alwaysclean.test",
        "Bail commercial entrepôt Vénissieux.pdf",
        "bail",
    ),
    # A second scan of the same invoice, sent to the trash (restorable from the Corbeille).
    DemoDocument(
        "always-clean",
        "Factures",
        "gerant@alwaysclean.test",
        "Facture Hygiène Pro Lyon FA-2026-0117 (doublon).pdf",
        "facture-hygiene-pro",
    ),
    DemoDocument(
        "boulangerie-dupont",
        "Comptabilité",
        "dupont@boulangerie-dupont.test",
        "Relevé de compte janvier 2026.pdf",
        "releve-boulangerie",
    ),
    DemoDocument(
        "boulangerie-dupont",
        "Factures",
        "dupont@boulangerie-dupont.test",
        "Facture Minoterie de l'Ille F26-0042.pdf",
        "facture-minoterie",
    ),
    DemoDocument(
        "boulangerie-dupont",
        "Fiscal",
        "comptable@cabinet-martin.test",
        "Déclaration de TVA CA3 janvier 2026.pdf",
        "tva-ca3",
    ),
    DemoDocument(
        "atelier-multi",
        "Juridique",
        "multi@demo.test",
        "Extrait Kbis Atelier Multi.pdf",
        "kbis-atelier-multi",
    ),
    DemoDocument(
        "atelier-multi",
        "Factures",
        "multi@demo.test",
        "Facture électricité février 2026.pdf",
        "facture-electricite",
    ),
)
# (document, its second version's file name and content): the revised quote.
DEMO_SECOND_VERSION = (
    ("always-clean", "Devis DEV-2026-014 vitrerie.pdf"),
    "Devis DEV-2026-014 vitrerie - révision 2.pdf",
    "devis-v2",
)
DEMO_TRASHED = ("always-clean", "Facture Hygiène Pro Lyon FA-2026-0117 (doublon).pdf")


def _received(name: str, paper: str) -> ReceivedFile:
    return file_receive(SimpleUploadedFile(name, demo_pdf(paper), "application/pdf"))


def _load_documents(users: dict[str, User]) -> dict[tuple[str, str], Document]:
    """Uploaded by the people who would have, through the upload action (audit events
    included), and processed at once so text and thumbnails exist before the worker runs."""
    documents: dict[tuple[str, str], Document] = {}
    for item in DEMO_DOCUMENTS:
        user = users[item.uploader]
        access = dossier_access_for(user, item.dossier)
        folder = Folder.objects.get(dossier=access.dossier, parent=None, name=item.folder)
        document = document_upload(
            actor=Actor(user=user),
            access=access,
            received=_received(item.name, item.paper),
            folder=folder,
        )
        document_process(document_id=document.pk)
        documents[(item.dossier, item.name)] = document

    key, version_name, paper = DEMO_SECOND_VERSION
    document = documents[key]
    assert document.created_by is not None
    document_version_add(
        actor=Actor(user=document.created_by),
        access=dossier_access_for(document.created_by, key[0]),
        document=document,
        received=_received(version_name, paper),
        base_version=1,
    )
    document_process(document_id=document.pk)

    trashed = documents[DEMO_TRASHED]
    assert trashed.created_by is not None
    documents_trash(
        actor=Actor(user=trashed.created_by),
        access=dossier_access_for(trashed.created_by, DEMO_TRASHED[0]),
        documents=[trashed],
    )
    return documents


# --- Share links --------------------------------------------------------------------------


def _load_share_links(
    users: dict[str, User], documents: dict[tuple[str, str], Document]
) -> tuple[ShareLink, ShareLink]:
    """One active link with a password (for the bank), one expired link (for the notary).

    Tokens are returned once and only their hash is kept, as for every link: the demo's
    links are listed on the dossier's "Liens de partage" page, and the emails that carry
    them are in the outbox.
    """
    gerant = users["gerant@alwaysclean.test"]
    comptable = users["comptable@cabinet-martin.test"]

    def picked(*names: str) -> list[Document]:
        return [documents[("always-clean", name)] for name in names]

    active, _token = share_link_create(
        actor=Actor(user=gerant),
        access=dossier_access_for(gerant, "always-clean"),
        documents=picked(
            "Relevé de compte janvier 2026.pdf",
            "Liasse fiscale 2025 - extrait 2033-A et 2033-B.pdf",
            "Extrait Kbis Always Clean mars 2026.pdf",
        ),
        recipients=[DEMO_LINK_RECIPIENT],
        expires_at=expiry_from_date(timezone.localdate() + datetime.timedelta(days=30)),
        password=DEMO_LINK_PASSWORD,
        message=(
            "Bonjour, voici les pièces demandées pour notre demande de prêt de matériel : "
            "relevé de janvier, extrait de la liasse fiscale 2025 et Kbis. Le mot de passe "
            "vous est communiqué par téléphone. Cordialement, Sophie Lefèvre."
        ),
        notify_first_open=True,
    )

    expired, _token = share_link_create(
        actor=Actor(user=comptable),
        access=dossier_access_for(comptable, "always-clean"),
        documents=picked("Statuts Always Clean SARL.pdf"),
        recipients=["notaire@demo.test"],
        expires_at=expiry_from_date(timezone.localdate() + datetime.timedelta(days=7)),
        message="Maître, voici les statuts à jour pour la cession de parts.",
    )
    # The action refuses an expiry in the past: this one was sent two weeks ago and ran out.
    now = timezone.now()
    ShareLink.objects.filter(pk=expired.pk).update(
        created_at=now - datetime.timedelta(days=16), expires_at=now - datetime.timedelta(days=2)
    )
    expired.refresh_from_db()
    return active, expired
