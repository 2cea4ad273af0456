"""Chain the events written before the chain existed, then make the table append-only.

Backfill first: once the triggers exist, not even this migration may UPDATE an event.

SQLite lets a connection through while it has a TEMP table named `audit_unlock` (its own:
TEMP tables belong to one connection), which `audit.chain.append_only_suspended()` makes
for the test harness's flush. PostgreSQL has no such door: the table's owner can disable
the trigger; TRUNCATE is left allowed (row triggers do not fire on it), as the test
harness flushes with it.

Beware on SQLite: a later migration that alters AuditEvent rebuilds the table, which drops
these triggers; such a migration must create them again (the test suite, built by
migrations, fails if they are missing: audit/tests/test_chain.py).
"""

from django.db import migrations

from comptoir.audit.chain import HASHED_FIELDS, chain_key, event_hash

BATCH = 1000

SQLITE_CREATE = [
    f"""
    CREATE TRIGGER audit_auditevent_no_{operation.lower()}
    BEFORE {operation} ON audit_auditevent
    FOR EACH ROW
    WHEN NOT EXISTS (
        SELECT 1 FROM pragma_table_list WHERE schema = 'temp' AND name = 'audit_unlock'
    )
    BEGIN
        SELECT RAISE(ABORT, 'audit events are append-only: {operation} refused');
    END
    """
    for operation in ("UPDATE", "DELETE")
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
]

POSTGRES_CREATE = [
    """
    CREATE OR REPLACE FUNCTION audit_auditevent_refuse() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_refuse()
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_auditevent_refuse()",
]


def chain_backfill(apps, schema_editor):
    """Chain every existing event in id order (the order they were written), by batches."""
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChain = apps.get_model("audit", "AuditChain")
    db = schema_editor.connection.alias
    heads = {}
    last_id = 0
    while True:
        batch = list(
            AuditEvent.objects.using(db)
            .filter(id__gt=last_id)
            .order_by("id")
            .values("id", *HASHED_FIELDS)[:BATCH]
        )
        if not batch:
            break
        changed = []
        for values in batch:
            key = chain_key(values["dossier_id"])
            seq, prev_hash = heads.get(key, (0, ""))
            values["seq"] = seq + 1
            values["prev_hash"] = prev_hash
            digest = event_hash(values)
            heads[key] = (seq + 1, digest)
            changed.append(
                AuditEvent(id=values["id"], seq=seq + 1, prev_hash=prev_hash, hash=digest)
            )
        AuditEvent.objects.using(db).bulk_update(
            changed, ["seq", "prev_hash", "hash"], batch_size=500
        )
        last_id = batch[-1]["id"]
    for key, (seq, digest) in heads.items():
        AuditChain.objects.using(db).update_or_create(
            key=key, defaults={"last_seq": seq, "last_hash": digest}
        )


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
        raise NotImplementedError(f"no append-only triggers for {vendor}")


def triggers_drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_chain_and_exports"),
    ]

    operations = [
        migrations.RunPython(chain_backfill, migrations.RunPython.noop),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
