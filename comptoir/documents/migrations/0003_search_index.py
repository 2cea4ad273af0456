"""The full-text index of documents (see comptoir/documents/search.py).

SQLite: an FTS5 table (unicode61, diacritics removed; prefix indexes for 2, 3 and 4 letters so
that "fa", "fac", "fact" stay fast). PostgreSQL: a plain table with a GIN index on
to_tsvector('simple', body). Either way `body` is already normalised in Python, so both
databases hold, and match, exactly the same words. No trigger: the application writes the
rows (document_index), and a trigger would silently vanish the day SQLite rebuilds
documents_document for another migration.
"""

from django.db import migrations

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE documents_search USING fts5("
    "dossier, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')"
)
POSTGRES_CREATE = [
    "CREATE TABLE documents_search ("
    " document_id bigint PRIMARY KEY,"
    " dossier_id bigint NOT NULL,"
    " body text NOT NULL)",
    "CREATE INDEX documents_search_dossier ON documents_search (dossier_id)",
    "CREATE INDEX documents_search_body ON documents_search"
    " USING GIN (to_tsvector('simple', body))",
]


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    statements = [SQLITE_CREATE] if connection.vendor == "sqlite" else POSTGRES_CREATE
    for statement in statements:
        schema_editor.execute(statement)
    # Documents that exist already (their text, if extracted) are indexed now.
    from comptoir.documents.search import search_body

    Document = apps.get_model("documents", "Document")
    rows = Document.objects.values_list("pk", "dossier_id", "name", "text_content")
    with connection.cursor() as cursor:
        for pk, dossier_id, name, text in rows.iterator(chunk_size=500):
            body = search_body(name=name, text=text or "")
            if connection.vendor == "sqlite":
                cursor.execute(
                    "INSERT INTO documents_search (rowid, dossier, body) VALUES (%s, %s, %s)",
                    [pk, str(dossier_id), body],
                )
            else:
                cursor.execute(
                    "INSERT INTO documents_search (document_id, dossier_id, body)"
                    " VALUES (%s, %s, %s)",
                    [pk, dossier_id, body],
                )


def drop_index(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS documents_search")


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_default_folders")]

    operations = [migrations.RunPython(create_index, drop_index)]
