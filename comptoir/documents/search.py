"""Full-text search of documents: FTS5 on SQLite, a GIN-indexed tsvector on PostgreSQL.

Both databases index the same thing, computed here in Python: the document's name and
extracted text reduced to word tokens (letters and digits), lowercased, accents removed,
each word once. Queries get the same treatment, so the semantics are identical on both:
every word of the query must appear (AND), each as a prefix of an indexed word
("fact" finds "Facture"), case and accents ignored ("releve" finds "Relevé"). Anything
that is not a letter or a digit (quotes, `*`, NEAR, parentheses…) only separates words:
nothing a person types reaches the query language.

The index lives in its own table, `documents_search` (created by migration 0003), one
row per document keyed by its id, written only by `document_index()`. Rows of deleted
documents are dropped by `document_unindex()` (purge) and by `search_index_prune()`
(daily sweep); until then they are harmless, because every search starts from
`documents_visible()` and ids are never reused.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Document

# A query keeps its first words, and a word its first characters: a 5,000-character
# query costs no more than a sentence. Indexed words are cut the same way, so a long
# word is still found by its beginning.
MAX_QUERY_WORDS = 12
MAX_WORD_CHARS = 60

_WORD = re.compile(r"[^\W_]+")
# Ligatures that Unicode decomposition keeps whole, but French writes both ways.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


def words(text: str) -> list[str]:
    """The word tokens of `text`: lowercase, without accents, in order, repeats kept."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    bare = "".join(char for char in folded if not unicodedata.combining(char))
    return [word[:MAX_WORD_CHARS] for word in _WORD.findall(bare)]


def search_body(*, name: str, text: str) -> str:
    """What is indexed for a document: each distinct word once, in first-seen order."""
    return " ".join(dict.fromkeys(words(name) + words(text)))


def query_words(query: str) -> list[str]:
    """The words a query asks for (deduplicated, at most MAX_QUERY_WORDS)."""
    return list(dict.fromkeys(words(query[: MAX_QUERY_WORDS * (MAX_WORD_CHARS + 1) * 4])))[
        :MAX_QUERY_WORDS
    ]


def _fts5_match(tokens: list[str]) -> str:
    # Each token is letters and digits only; quoting still keeps AND/OR/NEAR literal.
    return " AND ".join(f'"{token}"*' for token in tokens)


def _tsquery(tokens: list[str]) -> str:
    return " & ".join(f"'{token}':*" for token in tokens)


# The SQL, per database: fixed strings, every value bound as a parameter.
_SQL = {
    "sqlite": {
        "delete": "DELETE FROM documents_search WHERE rowid = %s",
        "insert": "INSERT INTO documents_search (rowid, dossier, body) VALUES (%s, %s, %s)",
        "prune": (
            "DELETE FROM documents_search WHERE NOT EXISTS (SELECT 1 FROM "
            "documents_document d WHERE d.id = documents_search.rowid)"
        ),
        # The dossier is a column of the index too: a match never wanders through other
        # dossiers' documents.
        "match": "SELECT rowid FROM documents_search WHERE documents_search MATCH %s",
    },
    "postgresql": {
        "delete": "DELETE FROM documents_search WHERE document_id = %s",
        "insert": (
            "INSERT INTO documents_search (document_id, dossier_id, body) VALUES (%s, %s, %s) "
            "ON CONFLICT (document_id) DO UPDATE SET body = EXCLUDED.body"
        ),
        "prune": (
            "DELETE FROM documents_search WHERE NOT EXISTS (SELECT 1 FROM "
            "documents_document d WHERE d.id = documents_search.document_id)"
        ),
        "match": (
            "SELECT document_id FROM documents_search WHERE dossier_id = %s "
            "AND to_tsvector('simple', body) @@ to_tsquery('simple', %s)"
        ),
    },
}


def _sql(name: str) -> str:
    return _SQL["sqlite" if connection.vendor == "sqlite" else "postgresql"][name]


def document_index(*, document: Document) -> None:
    """Keep the search index in step with the document's name and extracted text.

    Call it whenever either changes (processing, rename), inside the same transaction.
    """
    body = search_body(name=document.name, text=document.text_content or "")
    dossier = str(document.dossier_id) if connection.vendor == "sqlite" else document.dossier_id
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # FTS5 has no upsert: replace the row.
            cursor.execute(_sql("delete"), [document.pk])
        cursor.execute(_sql("insert"), [document.pk, dossier, body])


def document_unindex(*, document_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_sql("delete"), [document_id])


def search_index_prune() -> int:
    """Drop the rows of documents that no longer exist (dossier deleted, purge). Returns
    how many went."""
    with connection.cursor() as cursor:
        cursor.execute(_sql("prune"))
        return max(cursor.rowcount, 0)


def documents_matching(
    documents: QuerySet[Document], *, dossier_id: int, query: str
) -> QuerySet[Document]:
    """`documents` narrowed to those whose name or text holds every word of `query`.

    A query without any word (empty, only punctuation) does not narrow anything.
    """
    tokens = query_words(query)
    if not tokens:
        return documents
    if connection.vendor == "sqlite":
        params: list[object] = [f'dossier : "{int(dossier_id)}" AND body : ({_fts5_match(tokens)})']
    else:
        params = [dossier_id, _tsquery(tokens)]
    # A fixed SQL string; the query's words are bound as parameters.
    ids = RawSQL(_sql("match"), params)  # noqa: S611
    return documents.filter(Q(pk__in=ids))


# --- Filters of the search page ------------------------------------------------------------

_SPREADSHEET = (
    Q(current_version__mime_type__in=["application/vnd.ms-excel", "text/csv"])
    | Q(
        current_version__mime_type__startswith=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml"
        )
    )
    | Q(current_version__mime_type__startswith="application/vnd.oasis.opendocument.spreadsheet")
)
_TEXT = (
    Q(current_version__mime_type__in=["application/msword", "application/rtf"])
    | Q(
        current_version__mime_type__startswith=(
            "application/vnd.openxmlformats-officedocument.wordprocessingml"
        )
    )
    | Q(current_version__mime_type__startswith="application/vnd.oasis.opendocument.text")
    | (
        Q(current_version__mime_type__startswith="text/")
        & ~Q(current_version__mime_type="text/csv")
    )
)
_PDF = Q(current_version__mime_type="application/pdf")
_IMAGE = Q(current_version__mime_type__startswith="image/")

# The families of the "Type" filter, from the current version's sniffed type.
KINDS: dict[str, Q] = {
    "pdf": _PDF,
    "image": _IMAGE,
    "spreadsheet": _SPREADSHEET,
    "text": _TEXT,
    "other": ~(_PDF | _IMAGE | _SPREADSHEET | _TEXT) | Q(current_version__isnull=True),
}
KIND_CHOICES = [
    ("pdf", _("PDF")),
    ("image", _("Images")),
    ("spreadsheet", _("Tableurs")),
    ("text", _("Documents texte")),
    ("other", _("Autres")),
]


@dataclass(frozen=True)
class SearchFilters:
    query: str = ""
    folder_ids: frozenset[int] | None = None  # a folder and its sub-folders
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    uploader_id: int | None = None
    kind: str = ""


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def documents_search(
    documents: QuerySet[Document], *, dossier_id: int, filters: SearchFilters
) -> QuerySet[Document]:
    """`documents` (from documents_visible) narrowed by every filter, newest first."""
    if filters.folder_ids is not None:
        documents = documents.filter(folder__in=filters.folder_ids)
    if filters.date_from is not None:
        documents = documents.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to is not None:
        next_day = filters.date_to + datetime.timedelta(days=1)
        documents = documents.filter(created_at__lt=_day_start(next_day))
    if filters.uploader_id is not None:
        documents = documents.filter(created_by_id=filters.uploader_id)
    if filters.kind:
        documents = documents.filter(KINDS[filters.kind])
    documents = documents_matching(documents, dossier_id=dossier_id, query=filters.query)
    return documents.order_by("-created_at", "-id")
