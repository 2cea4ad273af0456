"""How the activity log reads to a person: action codes, object types, details, browsers.

Every action code that some `record()` call writes has a French label here;
`tests/test_labels.py` walks the source and fails on a code without one. A code that is
no longer written (an old event) still shows, as its raw code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from comptoir.assignments.models import Frequency, StepState, TaskKind
from comptoir.dossiers.permissions import Role

ACTION_LABELS: dict[str, StrOrPromise] = {
    # Documents
    "document.uploaded": _("Document déposé"),
    "document.version_added": _("Nouvelle version d'un document"),
    "document.originals_attached": _("Photos d'origine jointes à un document"),
    "document.text_layer_added": _("Texte reconnu ajouté à un document (OCR)"),
    "document.original_downloaded": _("Photo d'origine d'un document téléchargée"),
    "document.renamed": _("Document renommé"),
    "document.moved": _("Document déplacé"),
    "document.trashed": _("Document mis à la corbeille"),
    "document.restored": _("Document restauré"),
    "document.purged": _("Document supprimé définitivement"),
    "document.viewed": _("Document consulté"),
    "document.downloaded": _("Document téléchargé"),
    # Classeurs
    "folder.created": _("Classeur créé"),
    "folder.renamed": _("Classeur renommé"),
    "folder.moved": _("Classeur déplacé"),
    "folder.deleted": _("Classeur supprimé"),
    # Liens de partage
    "share_link.created": _("Lien de partage créé"),
    "share_link.revoked": _("Lien de partage révoqué"),
    "share_link.opened": _("Lien de partage ouvert"),
    "share_link.downloaded": _("Document téléchargé par un lien de partage"),
    "share_link.password_failed": _("Mot de passe erroné sur un lien de partage"),
    "sharing_policy.updated": _("Règles de partage modifiées"),
    # Tâches
    "task.created": _("Tâche envoyée"),
    "task.completed": _("Tâche terminée"),
    "task.reopened": _("Tâche rouverte"),
    "task.documents_uploaded": _("Documents déposés pour une tâche"),
    "task.documents_attached": _("Documents joints à une tâche"),
    "task.document_opened": _("Document ouvert pour approbation"),
    "task.approved": _("Approbation accordée"),
    "task.declined": _("Approbation refusée"),
    "task.reminder_sent": _("Relance envoyée"),
    "task.reminder_rules_changed": _("Règles de relance modifiées"),
    "task.step_added": _("Étape ajoutée"),
    "task.step_completed": _("Étape terminée"),
    "task.step_not_applicable": _("Étape marquée « Ne s'applique pas »"),
    "task.step_reopened": _("Étape rouverte"),
    "task.step_deleted": _("Étape supprimée"),
    "task.step_commented": _("Commentaire sur une étape"),
    "task.saved_as_template": _("Tâche enregistrée comme modèle"),
    "task.template_created": _("Modèle de tâche créé"),
    "task.template_updated": _("Modèle de tâche modifié"),
    "task.template_deleted": _("Modèle de tâche supprimé"),
    "task.schedule_created": _("Tâche récurrente programmée"),
    "task.schedule_paused": _("Tâche récurrente suspendue"),
    "task.schedule_resumed": _("Tâche récurrente reprise"),
    "task.schedule_deleted": _("Tâche récurrente supprimée"),
    # Facturation
    "invoicing.settings_updated": _("Paramètres de facturation modifiés"),
    "customer.created": _("Client créé"),
    "customer.updated": _("Client modifié"),
    "product.created": _("Produit ou service créé"),
    "product.updated": _("Produit ou service modifié"),
    "product.deleted": _("Produit ou service supprimé"),
    "invoice.created": _("Facture créée (brouillon)"),
    "invoice.updated": _("Brouillon de facture modifié"),
    "invoice.deleted": _("Brouillon de facture supprimé"),
    "invoice.issued": _("Facture émise"),
    "invoice.duplicated": _("Facture dupliquée"),
    "invoice.credit_note_created": _("Avoir créé (brouillon)"),
    "invoice.payment_recorded": _("Paiement enregistré"),
    "invoice.sent": _("Facture envoyée par e-mail"),
    "quote.created": _("Devis créé"),
    "quote.updated": _("Devis modifié"),
    "quote.deleted": _("Devis supprimé"),
    "quote.sent": _("Devis marqué envoyé"),
    "quote.accepted": _("Devis accepté"),
    "quote.refused": _("Devis refusé"),
    "quote.expired": _("Devis expiré"),
    "quote.invoiced": _("Devis transformé en facture"),
    "quote.duplicated": _("Devis dupliqué"),
    # Membres et accès
    "member.role_changed": _("Rôle d'un membre modifié"),
    "member.removed": _("Membre retiré"),
    "member.left": _("Départ d'un membre"),
    "invitation.created": _("Invitation envoyée"),
    "invitation.resent": _("Invitation renvoyée"),
    "invitation.revoked": _("Invitation annulée"),
    "invitation.accepted": _("Invitation acceptée"),
    "profile.created": _("Profil créé"),
    "profile.updated": _("Profil modifié"),
    "profile.deleted": _("Profil supprimé"),
    "firm_access.granted": _("Accès donné à un cabinet"),
    "firm_access.revoked": _("Accès d'un cabinet retiré"),
    # Dossier
    "dossier.created": _("Dossier créé"),
    "dossier.updated": _("Paramètres du dossier modifiés"),
    "dossier.deleted": _("Dossier supprimé"),
    "dossier.ownership_transferred": _("Propriété transférée"),
    # Outside any dossier (a firm, a person's account): labelled for exports and admins.
    "firm.created": _("Cabinet créé"),
    "firm.updated": _("Cabinet modifié"),
    "firm.member_removed": _("Collaborateur retiré du cabinet"),
    "notification_preferences.changed": _("Préférences de notification modifiées"),
    "notification_preferences.unsubscribed": _("Désinscription d'un e-mail"),
    "account.created": _("Compte créé"),
    "account.logged_in": _("Connexion"),
    "account.logged_out": _("Déconnexion"),
    "account.login_failed": _("Échec de connexion"),
    "account.session_revoked": _("Session fermée à distance"),
    "account.password_changed": _("Mot de passe modifié"),
    "account.password_set": _("Mot de passe défini"),
    "account.password_reset": _("Mot de passe réinitialisé"),
    "account.email_added": _("Adresse e-mail ajoutée"),
    "account.email_confirmed": _("Adresse e-mail confirmée"),
    "account.email_removed": _("Adresse e-mail retirée"),
    "account.email_primary_changed": _("Adresse e-mail principale changée"),
    "account.language_changed": _("Langue modifiée"),
    "account.mfa_added": _("Double authentification ajoutée"),
    "account.mfa_removed": _("Double authentification retirée"),
    "account.mfa_reset": _("Double authentification réinitialisée"),
    "account.mfa_failed": _("Échec de la double authentification"),
    # The log itself
    "audit.exported": _("Journal exporté"),
    # Comptabilité
    "accounting.batch_collected": _("Lot d'écritures collecté"),
    "accounting.batch_downloaded": _("Lot d'écritures téléchargé"),
    "accounting.batch_cancelled": _("Lot d'écritures annulé"),
    "accounting.ledger_exported": _("Écritures d'un exercice exportées"),
    "accounting.chart_updated": _("Plan comptable modifié"),
    # Reversibility
    "dossier.exported": _("Dossier exporté en entier"),
}


@dataclass(frozen=True)
class ActionDomain:
    label: StrOrPromise
    # Each prefix ("document.") with the label of its "all of them" option.
    prefixes: tuple[tuple[str, StrOrPromise], ...]
    # False for events written without a dossier: a dossier's log never shows them.
    in_dossiers: bool = True


ACTION_DOMAINS: tuple[ActionDomain, ...] = (
    ActionDomain(_("Documents"), (("document.", _("Tous les événements des documents")),)),
    ActionDomain(_("Classeurs"), (("folder.", _("Tous les événements des classeurs")),)),
    ActionDomain(
        _("Liens de partage"),
        (
            ("share_link.", _("Tous les événements des liens de partage")),
            ("sharing_policy.", _("Toutes les modifications des règles de partage")),
        ),
    ),
    ActionDomain(_("Tâches"), (("task.", _("Tous les événements des tâches")),)),
    ActionDomain(
        _("Facturation"),
        (
            ("invoice.", _("Tous les événements des factures")),
            ("quote.", _("Tous les événements des devis")),
            ("customer.", _("Tous les événements des clients")),
            ("product.", _("Tous les événements des produits")),
            ("invoicing.", _("Tous les paramètres de facturation")),
        ),
    ),
    ActionDomain(
        _("Membres et accès"),
        (
            ("member.", _("Tous les événements des membres")),
            ("invitation.", _("Tous les événements des invitations")),
            ("profile.", _("Tous les événements des profils")),
            ("firm_access.", _("Tous les événements des accès cabinet")),
        ),
    ),
    ActionDomain(_("Dossier"), (("dossier.", _("Tous les événements du dossier")),)),
    ActionDomain(_("Journal d'activité"), (("audit.", _("Tous les événements du journal")),)),
    ActionDomain(
        _("Comptabilité"), (("accounting.", _("Tous les événements de la comptabilité")),)
    ),
    ActionDomain(_("Cabinet"), (("firm.", _("Tous les événements du cabinet")),), False),
    ActionDomain(
        _("Compte"),
        (
            ("account.", _("Tous les événements du compte")),
            ("notification_preferences.", _("Toutes les préférences de notification")),
        ),
        False,
    ),
)

OBJECT_LABELS: dict[str, StrOrPromise] = {
    "documents.document": _("Document"),
    "documents.folder": _("Classeur"),
    "sharing.sharelink": _("Lien de partage"),
    "sharing.sharepolicy": _("Règles de partage"),
    "assignments.task": _("Tâche"),
    "assignments.step": _("Étape"),
    "assignments.tasktemplate": _("Modèle de tâche"),
    "assignments.taskschedule": _("Tâche récurrente"),
    "invoicing.invoice": _("Facture"),
    "invoicing.quote": _("Devis"),
    "invoicing.customer": _("Client"),
    "invoicing.product": _("Produit ou service"),
    "invoicing.invoicingsettings": _("Paramètres de facturation"),
    "dossiers.membership": _("Membre"),
    "dossiers.invitation": _("Invitation"),
    "dossiers.profile": _("Profil"),
    "dossiers.firmaccess": _("Accès cabinet"),
    "dossiers.dossier": _("Dossier"),
    "audit.auditexport": _("Export du journal"),
    "accounting.batch": _("Lot d'écritures"),
    # Outside any dossier.
    "dossiers.firm": _("Cabinet"),
    "accounts.user": _("Compte"),
}
OBJECTS_OUTSIDE_DOSSIERS = frozenset({"dossiers.firm", "accounts.user"})


def action_label(code: str) -> StrOrPromise:
    """The French label of an action code; an unknown (old) code shows as it is."""
    return ACTION_LABELS.get(code, code)


def object_label(object_type: str) -> StrOrPromise:
    return OBJECT_LABELS.get(object_type, object_type)


def action_prefix(code: str) -> str:
    """ "document.uploaded" → "document." (the domain an action belongs to)."""
    head, dot, _rest = code.partition(".")
    return f"{head}." if dot else ""


Choice = tuple[str, StrOrPromise]


def action_choices(*, in_dossiers: bool = True) -> list[tuple[StrOrPromise, list[Choice]]]:
    """The Action filter's option groups: per domain, an "all of …" option for each prefix
    that has several codes, then every code of the domain by label."""
    groups: list[tuple[StrOrPromise, list[Choice]]] = []
    for domain in ACTION_DOMAINS:
        if in_dossiers and not domain.in_dossiers:
            continue
        everything: list[Choice] = []
        codes: list[Choice] = []
        for prefix, all_label in domain.prefixes:
            mine = [
                (code, label) for code, label in ACTION_LABELS.items() if code.startswith(prefix)
            ]
            if len(mine) > 1:
                everything.append((prefix, all_label))
            codes += mine
        codes.sort(key=lambda choice: str(choice[1]).casefold())
        groups.append((domain.label, everything + codes))
    return groups


def object_choices(*, in_dossiers: bool = True) -> list[Choice]:
    return sorted(
        (
            (key, label)
            for key, label in OBJECT_LABELS.items()
            if not (in_dossiers and key in OBJECTS_OUTSIDE_DOSSIERS)
        ),
        key=lambda choice: str(choice[1]).casefold(),
    )


# --- Details ------------------------------------------------------------------------------

DETAIL_LABELS: dict[str, StrOrPromise] = {
    "from": _("avant"),
    "to": _("après"),
    "before": _("avant"),
    "after": _("après"),
    "changed": _("modifications"),
    "name": _("nom"),
    "title": _("titre"),
    "email": _("e-mail"),
    "by": _("par"),
    "role": _("rôle"),
    "firm": _("cabinet"),
    "folder": _("classeur"),
    "parent": _("classeur parent"),
    "version": _("version"),
    "sha256": _("empreinte SHA-256"),
    "size": _("taille"),
    "type": _("type"),
    "documents": _("documents"),
    "recipients": _("destinataires"),
    "assignees": _("destinataires"),
    "due_date": _("échéance"),
    "expires_at": _("expire le"),
    "comment": _("commentaire"),
    "template": _("modèle"),
    "frequency": _("fréquence"),
    "reason": _("raison"),
    "steps": _("étapes"),
    "open_steps": _("étapes ouvertes"),
    "task": _("tâche"),
    "step": _("étape"),
    "kind": _("type"),
    "link": _("lien"),
    "zip": _("archive ZIP"),
    "first": _("première ouverture"),
    "number": _("numéro"),
    "next": _("prochaine"),
    "permissions": _("permissions"),
    "state": _("état"),
    "approval": _("approbation"),
    "document": _("document"),
    "folders": _("classeurs"),
    "first_run_on": _("premier envoi"),
    "next_run_on": _("prochain envoi"),
    "send_now": _("envoi immédiat"),
    "schedule": _("récurrence"),
    "sender": _("expéditeur"),
    "message": _("message"),
    "max_downloads": _("téléchargements autorisés"),
    "notify_first_open": _("prévenir à la première ouverture"),
    "password": _("mot de passe"),
    "profile": _("profil"),
    "extra_permissions": _("options"),
    "restrict_folders": _("limité à certains classeurs"),
    "visible_folder_ids": _("classeurs visibles"),
    "require_2fa": _("double authentification obligatoire"),
    "siren": _("SIREN"),
    "address": _("adresse"),
    "created_at": _("créé le"),
    "deleted_at": _("supprimé le"),
    "email_verified": _("e-mail vérifié"),
    "is_staff": _("équipe Comptoir"),
    "language": _("langue"),
    "methods": _("méthodes"),
    "reauthentication": _("nouvelle authentification"),
    "session": _("session"),
    "ip": _("adresse IP"),
    "user_agent": _("navigateur"),
    "via": _("par"),
    "rows": _("lignes"),
    "up_to": _("jusqu'au"),
    "entries": _("écritures"),
    "total": _("total"),
    "format": _("format"),
    "closing": _("clôture"),
    "mapping": _("comptes par usage"),
    "labels": _("libellés"),
    "id": _("identifiant"),
}

# Values shown by their label, by the key they come under.
VALUE_CHOICES: dict[str, type[models.TextChoices]] = {
    "role": Role,
    "kind": TaskKind,
    "frequency": Frequency,
    "state": StepState,
}

DETAILS_MAX_PAIRS = 8
VALUE_MAX_CHARS = 120
LIST_MAX_ITEMS = 5
_HASH = re.compile(r"^[0-9a-f]{64}$")


def _short(text: str, limit: int = VALUE_MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _key_label(key: str) -> str:
    return str(DETAIL_LABELS.get(key, key))


def _value_text(key: str, value: Any, *, nested: bool = False) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return str(_("oui") if value else _("non"))
    if isinstance(value, str):
        if _HASH.match(value):
            return value[:12] + "…"
        choices = VALUE_CHOICES.get(key)
        if choices is not None and value in choices.values:
            return str(choices(value).label)
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        items = [_item_text(key, item) for item in value[:LIST_MAX_ITEMS]]
        if len(value) > LIST_MAX_ITEMS:
            items.append(str(_("… (+%(count)s)") % {"count": len(value) - LIST_MAX_ITEMS}))
        return ", ".join(items)
    if isinstance(value, dict):
        if nested:
            return "…"
        show = _change_text if key == "changed" else _nested_text
        return "; ".join(
            _("%(label)s : %(value)s") % {"label": _key_label(str(k)), "value": show(str(k), v)}
            for k, v in value.items()
        )
    return str(value)


def _nested_text(key: str, value: Any) -> str:
    return _value_text(key, value, nested=True)


def _change_text(key: str, value: Any) -> str:
    # What changed is stored as {"field": [before, after]}.
    if isinstance(value, list) and len(value) == 2:
        before, after = (_value_text(key, v, nested=True) for v in value)
        return f"{before} → {after}"
    return _value_text(key, value, nested=True)


def _item_text(key: str, item: Any) -> str:
    # Lists of objects name them ({"id": 3, "name": "facture.pdf"} → "facture.pdf").
    if isinstance(item, dict) and "name" in item:
        return str(item["name"])
    if isinstance(item, dict | list):
        return "…"
    return _value_text(key, item, nested=True)


def details_summary(details: Any) -> list[tuple[str, str]]:
    """A short, readable form of an event's `details` JSON: (label, value) pairs of plain
    text (the template escapes it), each value cut at VALUE_MAX_CHARS."""
    if not isinstance(details, dict):
        return [] if details in (None, "") else [("", _short(str(details)))]
    pairs = [
        (_key_label(str(key)), _short(_value_text(str(key), value)))
        for key, value in list(details.items())[:DETAILS_MAX_PAIRS]
    ]
    if len(details) > DETAILS_MAX_PAIRS:
        more = len(details) - DETAILS_MAX_PAIRS
        pairs.append(("…", str(_("%(count)s de plus") % {"count": more})))
    return pairs


# --- Browsers -----------------------------------------------------------------------------

# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
_BROWSERS: tuple[tuple[str, str], ...] = (
    (r"Edg(?:e|A|iOS)?/(\d+)", "Edge"),
    (r"(?:OPR|Opera)/(\d+)", "Opera"),
    (r"SamsungBrowser/(\d+)", "Samsung Internet"),
    (r"Firefox/(\d+)", "Firefox"),
    (r"FxiOS/(\d+)", "Firefox"),
    (r"CriOS/(\d+)", "Chrome"),
    (r"Chromium/(\d+)", "Chromium"),
    (r"HeadlessChrome/(\d+)", "Chrome (headless)"),
    (r"Chrome/(\d+)", "Chrome"),
    (r"Version/(\d+)[\d.]* (?:Mobile/\S+ )?Safari/", "Safari"),
    (r"curl/([\d.]+)", "curl"),
    (r"python-requests/([\d.]+)", "python-requests"),
)
_SYSTEMS: tuple[tuple[str, str], ...] = (
    (r"iPhone", "iPhone"),
    (r"iPad", "iPad"),
    (r"Android", "Android"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"CrOS", "ChromeOS"),
    (r"Linux", "Linux"),
)


def user_agent_short(user_agent: str) -> str:
    """ "Mozilla/5.0 (Windows NT 10.0; …) Chrome/126.0 …" → "Chrome 126 · Windows".

    Unknown agents show their first 40 characters; the page gives the full text too.
    """
    if not user_agent:
        return ""
    browser = next(
        (
            f"{name} {match.group(1)}"
            for pattern, name in _BROWSERS
            if (match := re.search(pattern, user_agent))
        ),
        "",
    )
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, user_agent)), "")
    if not browser:
        return _short(user_agent, 40)
    return f"{browser} · {system}" if system else browser
