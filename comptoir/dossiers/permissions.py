"""The one permission enum and the one table from role to permissions.

Every dossier view declares the permission it needs (`dossiers.access.dossier_view`);
nothing else decides who may do what.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class Permission(StrEnum):
    DOSSIER_VIEW = "dossier.view"
    DOCUMENT_VIEW = "document.view"
    DOCUMENT_UPLOAD = "document.upload"
    DOCUMENT_DELETE = "document.delete"
    DOCUMENT_SHARE = "document.share"
    EXPORT = "data.export"
    TASK_VIEW = "task.view"
    TASK_WORK = "task.work"
    TASK_SEND = "task.send"
    INVOICE_VIEW = "invoice.view"
    INVOICE_EDIT = "invoice.edit"
    AUDIT_VIEW = "audit.view"
    MEMBERS_MANAGE = "members.manage"
    SETTINGS_MANAGE = "settings.manage"
    DOSSIER_DELETE = "dossier.delete"
    OWNERSHIP_TRANSFER = "ownership.transfer"


PERMISSION_LABELS: dict[Permission, StrOrPromise] = {
    Permission.DOSSIER_VIEW: _("Voir le dossier"),
    Permission.DOCUMENT_VIEW: _("Voir les documents"),
    Permission.DOCUMENT_UPLOAD: _("Déposer des documents"),
    Permission.DOCUMENT_DELETE: _("Supprimer des documents"),
    Permission.DOCUMENT_SHARE: _("Partager à l'extérieur (liens)"),
    Permission.EXPORT: _("Exporter"),
    Permission.TASK_VIEW: _("Voir les tâches"),
    Permission.TASK_WORK: _("Traiter les tâches reçues"),
    Permission.TASK_SEND: _("Créer et envoyer des tâches"),
    Permission.INVOICE_VIEW: _("Voir les factures"),
    Permission.INVOICE_EDIT: _("Facturer"),
    Permission.AUDIT_VIEW: _("Lire le journal d'activité"),
    Permission.MEMBERS_MANAGE: _("Gérer les membres et les profils"),
    Permission.SETTINGS_MANAGE: _("Modifier les paramètres du dossier"),
    Permission.DOSSIER_DELETE: _("Supprimer le dossier"),
    Permission.OWNERSHIP_TRANSFER: _("Transférer la propriété"),
}


class Role(models.TextChoices):
    OWNER = "owner", _("Propriétaire")
    ADMIN = "admin", _("Administrateur")
    ACCOUNTANT = "accountant", _("Comptable")
    USER = "user", _("Utilisateur")
    READ_ONLY = "readonly", _("Lecture seule")
    CUSTOM = "custom", _("Profil personnalisé")


ALL = frozenset(Permission)
SETTINGS = frozenset(
    {
        Permission.MEMBERS_MANAGE,
        Permission.SETTINGS_MANAGE,
        Permission.DOSSIER_DELETE,
        Permission.OWNERSHIP_TRANSFER,
    }
)
READ = frozenset(
    {
        Permission.DOSSIER_VIEW,
        Permission.DOCUMENT_VIEW,
        Permission.TASK_VIEW,
        Permission.INVOICE_VIEW,
    }
)
# What an owner may switch on for an Utilisateur, on top of its base.
USER_OPTIONS = frozenset(
    {
        Permission.DOCUMENT_DELETE,
        Permission.EXPORT,
        Permission.DOCUMENT_SHARE,
        Permission.INVOICE_VIEW,
        Permission.INVOICE_EDIT,
        Permission.AUDIT_VIEW,
    }
)
# What a custom profile may contain: everything but the owner's own powers.
PROFILE_OPTIONS = ALL - {Permission.DOSSIER_DELETE, Permission.OWNERSHIP_TRANSFER}

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.OWNER: ALL,
    Role.ADMIN: ALL - {Permission.DOSSIER_DELETE, Permission.OWNERSHIP_TRANSFER},
    # All data, exports and the log; none of the settings.
    Role.ACCOUNTANT: ALL - SETTINGS,
    Role.USER: frozenset(
        {
            Permission.DOSSIER_VIEW,
            Permission.DOCUMENT_VIEW,
            Permission.DOCUMENT_UPLOAD,
            Permission.TASK_VIEW,
            Permission.TASK_WORK,
        }
    ),
    Role.READ_ONLY: READ,
    Role.CUSTOM: frozenset({Permission.DOSSIER_VIEW}),
}

# Roles whose holders are never limited to some folders.
UNRESTRICTED_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.ACCOUNTANT})
