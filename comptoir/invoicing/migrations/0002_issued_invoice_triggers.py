"""An issued invoice is frozen below the application: triggers refuse

- an UPDATE of an issued invoice that changes anything but what happens after issue
  (payments, credit notes: amount_paid, amount_credited, balance_due);
- a DELETE of an issued invoice;
- an INSERT, UPDATE or DELETE of a line of an issued invoice.

SQLite lets a connection through while it has the TEMP table `audit_unlock` (made by
`audit.chain.append_only_suspended()` for the test harness's flush, like the audit log's
triggers, migration audit/0003). PostgreSQL flushes with TRUNCATE, which row triggers do
not see.

Beware on SQLite: a later migration that alters Invoice or InvoiceLine rebuilds the
table, which drops these triggers; such a migration must create them again
(tests/test_locking.py fails if they are missing).
"""

from django.db import migrations

FROZEN = [
    "dossier_id",
    "customer_id",
    "kind",
    "status",
    "number",
    "issue_date",
    "sale_date",
    "due_date",
    "category",
    "delivery_address",
    "vat_exempt",
    "vat_on_debits",
    "seller",
    "buyer",
    "notes",
    "total_net",
    "total_vat",
    "total_gross",
    "vat_breakdown",
    "credited_invoice_id",
    "issued_at",
]
UNLOCKED = "EXISTS (SELECT 1 FROM pragma_table_list WHERE schema = 'temp' AND name = 'audit_unlock')"
ISSUED_LINE = "(SELECT status FROM invoicing_invoice WHERE id = {ref}.invoice_id) = 'issued'"

SQLITE_CREATE = [
    f"""
    CREATE TRIGGER invoicing_invoice_frozen_update BEFORE UPDATE ON invoicing_invoice
    FOR EACH ROW WHEN OLD.status = 'issued' AND NOT {UNLOCKED} AND (
        {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)}
    )
    BEGIN SELECT RAISE(ABORT, 'issued invoices are frozen: UPDATE refused'); END
    """,
    f"""
    CREATE TRIGGER invoicing_invoice_frozen_delete BEFORE DELETE ON invoicing_invoice
    FOR EACH ROW WHEN OLD.status = 'issued' AND NOT {UNLOCKED}
    BEGIN SELECT RAISE(ABORT, 'issued invoices are frozen: DELETE refused'); END
    """,
    f"""
    CREATE TRIGGER invoicing_line_frozen_insert BEFORE INSERT ON invoicing_invoiceline
    FOR EACH ROW WHEN {ISSUED_LINE.format(ref="NEW")} AND NOT {UNLOCKED}
    BEGIN SELECT RAISE(ABORT, 'lines of issued invoices are frozen: INSERT refused'); END
    """,
    f"""
    CREATE TRIGGER invoicing_line_frozen_update BEFORE UPDATE ON invoicing_invoiceline
    FOR EACH ROW WHEN ({ISSUED_LINE.format(ref="OLD")} OR {ISSUED_LINE.format(ref="NEW")})
        AND NOT {UNLOCKED}
    BEGIN SELECT RAISE(ABORT, 'lines of issued invoices are frozen: UPDATE refused'); END
    """,
    f"""
    CREATE TRIGGER invoicing_line_frozen_delete BEFORE DELETE ON invoicing_invoiceline
    FOR EACH ROW WHEN {ISSUED_LINE.format(ref="OLD")} AND NOT {UNLOCKED}
    BEGIN SELECT RAISE(ABORT, 'lines of issued invoices are frozen: DELETE refused'); END
    """,
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "invoicing_invoice_frozen_update",
        "invoicing_invoice_frozen_delete",
        "invoicing_line_frozen_insert",
        "invoicing_line_frozen_update",
        "invoicing_line_frozen_delete",
    )
]

POSTGRES_CREATE = [
    f"""
    CREATE OR REPLACE FUNCTION invoicing_invoice_frozen() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status = 'issued' THEN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'issued invoices are frozen: DELETE refused'
                    USING ERRCODE = 'restrict_violation';
            END IF;
            IF ({", ".join(f"NEW.{c}" for c in FROZEN)})
                IS DISTINCT FROM ({", ".join(f"OLD.{c}" for c in FROZEN)}) THEN
                RAISE EXCEPTION 'issued invoices are frozen: UPDATE refused'
                    USING ERRCODE = 'restrict_violation';
            END IF;
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER invoicing_invoice_frozen BEFORE UPDATE OR DELETE ON invoicing_invoice
    FOR EACH ROW EXECUTE FUNCTION invoicing_invoice_frozen()
    """,
    """
    CREATE OR REPLACE FUNCTION invoicing_line_frozen() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF (TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
                SELECT 1 FROM invoicing_invoice WHERE id = OLD.invoice_id AND status = 'issued'))
           OR (TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
                SELECT 1 FROM invoicing_invoice WHERE id = NEW.invoice_id AND status = 'issued'))
        THEN
            RAISE EXCEPTION 'lines of issued invoices are frozen: % refused', TG_OP
                USING ERRCODE = 'restrict_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER invoicing_line_frozen BEFORE INSERT OR UPDATE OR DELETE
    ON invoicing_invoiceline FOR EACH ROW EXECUTE FUNCTION invoicing_line_frozen()
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS invoicing_invoice_frozen ON invoicing_invoice",
    "DROP TRIGGER IF EXISTS invoicing_line_frozen ON invoicing_invoiceline",
    "DROP FUNCTION IF EXISTS invoicing_invoice_frozen()",
    "DROP FUNCTION IF EXISTS invoicing_line_frozen()",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement, params=None)


def triggers_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_CREATE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_CREATE)
    else:
        raise NotImplementedError(f"no frozen-invoice triggers for {vendor}")


def triggers_drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(triggers_create, triggers_drop),
    ]
