"""Folders (« classeurs »), documents and their versions.

A document's bytes live in the default storage under a random name (never the name the
person gave, which is only shown); each version keeps its size, SHA-256 and the type
sniffed from its content. Deletion is soft (`deleted_at`: the trash), purged after
TRASH_RETENTION by a scheduled job.
"""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

TRASH_RETENTION = datetime.timedelta(days=30)
DEFAULT_FOLDERS = ("Comptabilité", "Fiscal", "Juridique", "Social", "Factures")


class Folder(models.Model):
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="folders", db_index=True
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    name = models.CharField(_("nom"), max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ("name",)
        verbose_name = _("classeur")
        verbose_name_plural = _("classeurs")

    def __str__(self) -> str:
        return self.name


class DocumentQuerySet(models.QuerySet["Document"]):
    def alive(self) -> DocumentQuerySet:
        return self.filter(deleted_at__isnull=True)

    def trashed(self) -> DocumentQuerySet:
        return self.filter(deleted_at__isnull=False)


class Document(models.Model):
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="documents", db_index=True
    )
    # None: at the dossier's root, outside any folder.
    folder = models.ForeignKey(
        Folder,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("classeur"),
    )
    # The name as the person gave it, sanitised (see uploads.filename_sanitise); only shown.
    name = models.CharField(_("nom"), max_length=255)
    current_version = models.ForeignKey(
        "DocumentVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("déposé par"),
    )
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Filled in the background: the text of a PDF (for search) and a small preview image.
    text_content = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    thumbnail = models.CharField(max_length=255, blank=True)
    # A larger picture of the first page (PDF) or of the image: works on every browser,
    # phones included, where a PDF in a frame often shows nothing.
    preview = models.CharField(max_length=255, blank=True)

    objects: ClassVar[DocumentQuerySet] = DocumentQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [
            models.Index(fields=["dossier", "folder", "-created_at"], name="document_folder"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_trashed(self) -> bool:
        return self.deleted_at is not None


# Short names for families of types, shown beside a document's name.
KIND_LABELS: tuple[tuple[str, StrOrPromise], ...] = (
    ("application/pdf", _("PDF")),
    ("image/", _("Image")),
    ("application/vnd.ms-excel", _("Tableur")),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml", _("Tableur")),
    ("application/vnd.oasis.opendocument.spreadsheet", _("Tableur")),
    ("text/csv", _("Tableur")),
    ("application/msword", _("Texte")),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml", _("Texte")),
    ("application/vnd.oasis.opendocument.text", _("Texte")),
    ("text/", _("Texte")),
    ("application/zip", _("Archive")),
)


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    # Random storage name: the person's file name never reaches the file system.
    storage_name = models.CharField(max_length=255, unique=True)
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    size = models.BigIntegerField(_("taille"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    mime_type = models.CharField(_("type"), max_length=127)
    uploaded_at = models.DateTimeField(_("déposée le"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("déposée par"),
    )

    class Meta:
        ordering = ("-number",)
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="version_number_unique")
        ]
        verbose_name = _("version")
        verbose_name_plural = _("versions")

    def __str__(self) -> str:
        return f"{self.original_name} (v{self.number})"

    @property
    def kind_label(self) -> str:
        for prefix, label in KIND_LABELS:
            if self.mime_type.startswith(prefix):
                return str(label)
        return str(_("Fichier"))


class DocumentOriginal(models.Model):
    """A photo a scanned PDF was made from, kept byte for byte beside the document: in
    France a cropped or retouched picture of a receipt loses its value as evidence, the
    original keeps it. Stored like a version (random name), never changed."""

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="+", db_index=True
    )
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="originals")
    position = models.PositiveIntegerField(_("page"))
    storage_name = models.CharField(max_length=255, unique=True)
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    size = models.BigIntegerField(_("taille"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    mime_type = models.CharField(_("type"), max_length=127)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("photo d'origine")
        verbose_name_plural = _("photos d'origine")

    def __str__(self) -> str:
        return self.original_name
