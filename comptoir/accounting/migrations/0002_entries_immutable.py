"""Entries and their lines never change once written; only these columns move:

- on an entry, `batch_id` and `number` (collection, and cancellation of the latest batch);
- on a line, `lettering` and `lettered_on` (lettering).

No row of either table is ever deleted. As for the audit log (audit/0003), SQLite lets a
connection through while it has the TEMP table `audit_unlock` (the test harness's flush,
see `audit.chain.append_only_suspended`); PostgreSQL's flush is a TRUNCATE, which row
triggers do not see.

Beware on SQLite: a later migration that alters these tables rebuilds them, which drops
the triggers; it must create them again (accounting/tests/test_ledger.py checks them).
"""

from django.db import migrations

ENTRY_FIXED = [
    "dossier_id",
    "journal",
    "date",
    "fiscal_year_end",
    "piece_ref",
    "piece_date",
    "label",
    "total",
    "source",
    "source_id",
    "created_at",
]
LINE_FIXED = [
    "entry_id",
    "dossier_id",
    "position",
    "account",
    "account_label",
    "auxiliary",
    "auxiliary_label",
    "label",
    "debit",
    "credit",
]
TABLES = {"accounting_entry": ENTRY_FIXED, "accounting_entryline": LINE_FIXED}
UNLOCKED = "EXISTS (SELECT 1 FROM pragma_table_list WHERE schema = 'temp' AND name = 'audit_unlock')"


def _sqlite_create(table, columns):
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    return [
        f"""
        CREATE TRIGGER {table}_fixed BEFORE UPDATE ON {table}
        FOR EACH ROW WHEN ({changed}) AND NOT {UNLOCKED}
        BEGIN
            SELECT RAISE(ABORT, 'accounting entries never change: UPDATE refused');
        END
        """,
        f"""
        CREATE TRIGGER {table}_kept BEFORE DELETE ON {table}
        FOR EACH ROW WHEN NOT {UNLOCKED}
        BEGIN
            SELECT RAISE(ABORT, 'accounting entries are never deleted: DELETE refused');
        END
        """,
    ]


def _postgres_create(table, columns):
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
    return [
        f"""
        CREATE OR REPLACE FUNCTION {table}_refuse() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'accounting entries are never deleted: DELETE refused'
                    USING ERRCODE = 'restrict_violation';
            END IF;
            IF {changed} THEN
                RAISE EXCEPTION 'accounting entries never change: UPDATE refused'
                    USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        f"""
        CREATE TRIGGER {table}_fixed BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {table}_refuse()
        """,
    ]


def triggers_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, columns in TABLES.items():
        if vendor == "sqlite":
            statements = _sqlite_create(table, columns)
        elif vendor == "postgresql":
            statements = _postgres_create(table, columns)
        else:
            raise NotImplementedError(f"no immutability triggers for {vendor}")
        for statement in statements:
            schema_editor.execute(statement, params=None)


def triggers_drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            statements = [
                f"DROP TRIGGER IF EXISTS {table}_fixed",
                f"DROP TRIGGER IF EXISTS {table}_kept",
            ]
        else:
            statements = [
                f"DROP TRIGGER IF EXISTS {table}_fixed ON {table}",
                f"DROP FUNCTION IF EXISTS {table}_refuse()",
            ]
        for statement in statements:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounting", "0001_initial")]

    operations = [migrations.RunPython(triggers_create, triggers_drop)]
