"""The hash chain as `record()` writes it, and the database's refusal to change events."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError
from django.urls import reverse

from comptoir.accounts.tests.factories import UserFactory
from comptoir.dossiers.tests.factories import DossierFactory
from comptoir.testing.concurrency import together

from ..actions import Actor, record
from ..chain import (
    HASHED_FIELDS,
    append_only_guarded,
    append_only_suspended,
    canonical_bytes,
    chain_key,
    chains_verify,
    event_hash,
)
from ..models import AuditChain, AuditEvent

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite serialises writers on one lock: concurrency is tested on PostgreSQL",
)


def write(action: str, *, dossier=None, user=None, **details) -> AuditEvent:
    with transaction.atomic():
        return record(actor=Actor(user=user), action=action, dossier=dossier, details=details)


def chain_of(dossier) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(dossier=dossier).order_by("seq"))


def test_each_dossier_and_the_events_without_one_form_their_own_chain():
    first, second = DossierFactory(), DossierFactory()
    for n in range(3):
        write("test.first", dossier=first, n=n)
        write("test.second", dossier=second, n=n)
        write("test.global", n=n)

    for dossier in (first, second, None):
        events = chain_of(dossier)
        assert [e.seq for e in events] == [1, 2, 3]
        assert [e.details["n"] for e in events] == [0, 1, 2]
        assert events[0].prev_hash == ""
        for previous, event in itertools.pairwise(events):
            assert event.prev_hash == previous.hash
        for event in events:
            assert event.hash == event_hash(event)
            assert len(event.hash) == 64
        head = AuditChain.objects.get(key=chain_key(dossier.pk if dossier else None))
        assert (head.last_seq, head.last_hash) == (3, events[-1].hash)
    assert AuditChain.objects.count() == 3
    assert chains_verify().broken is None


def test_what_is_hashed_is_what_the_database_gives_back():
    user = UserFactory(email="élodie.müller@exemple.test")
    dossier = DossierFactory()
    awkward = [
        ("2001:DB8:0:0:0:0:0:1", {"tuple": (1, 2), 3: "clé entière"}),
        ("::ffff:192.0.2.7", {"float": 1.0, "big": 1e20, "small": 1.5e-7, "neg": -0.25}),
        ("  192.0.2.1", {"texte": "L'été à Noël — “guillemets” 😀", "vide": {}, "nul": None}),
        (None, {"nested": [{"b": 2, "a": [True, False, None]}], "ordre": {"z": 1, "a": 2}}),
        ("not an address", {}),
    ]
    written = []
    for ip, details in awkward:
        with transaction.atomic():
            written.append(
                record(
                    actor=Actor(user=user, ip=ip, user_agent="Mozilla/5.0 (Été; ü)"),
                    action="test.round_trip",
                    dossier=dossier,
                    target=dossier,
                    details=details,
                )
            )
    for event in written:
        again = AuditEvent.objects.get(pk=event.pk)
        assert canonical_bytes({f: getattr(again, f) for f in HASHED_FIELDS}) == canonical_bytes(
            {f: getattr(event, f) for f in HASHED_FIELDS}
        )
        assert event_hash(again) == again.hash == event.hash
        values = AuditEvent.objects.filter(pk=event.pk).values("hash", *HASHED_FIELDS).get()
        assert event_hash(values) == event.hash
    assert written[0].ip == "2001:db8::1"
    assert written[2].ip == "192.0.2.1"
    assert written[4].ip is None
    assert chains_verify().broken is None


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="transaction"):
        record(actor=Actor.system(), action="test.outside")
    assert not AuditEvent.objects.exists()


# --- The database refuses to change events ------------------------------------------------


def refused(change: Callable[[], object]) -> None:
    # The savepoint keeps PostgreSQL's transaction usable after the refusal.
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        change()


def test_the_append_only_triggers_are_in_place():
    assert append_only_guarded()


def test_the_orm_cannot_update_or_delete_an_event():
    dossier = DossierFactory()
    event = write("test.kept", dossier=dossier, n=1)
    before = AuditEvent.objects.filter(pk=event.pk).values().get()

    refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(action="test.changed"))
    refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    refused(lambda: AuditEvent.objects.all().delete())
    event.action = "test.changed"
    refused(event.save)
    refused(lambda: AuditEvent.objects.get(pk=event.pk).delete())

    assert AuditEvent.objects.filter(pk=event.pk).values().get() == before


def test_raw_sql_cannot_update_or_delete_an_event():
    event = write("test.kept", user=UserFactory(), n=1)

    def sql(statement: str) -> Callable[[], object]:
        def run() -> None:
            with connection.cursor() as cursor:
                cursor.execute(statement, [event.pk])

        return run

    refused(sql("UPDATE audit_auditevent SET details = '{}' WHERE id = %s"))
    refused(sql("UPDATE audit_auditevent SET actor_id = NULL WHERE id = %s"))
    refused(sql("DELETE FROM audit_auditevent WHERE id = %s"))
    kept = AuditEvent.objects.get(pk=event.pk)
    assert (kept.details, kept.actor_id, kept.hash) == ({"n": 1}, event.actor_id, event.hash)


def test_suspending_the_guard_is_for_one_block_only():
    event = write("test.kept")
    with append_only_suspended():
        AuditEvent.objects.filter(pk=event.pk).update(action="test.changed")
    refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(action="test.again"))
    assert append_only_guarded()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.changed"


def test_inserting_is_still_allowed_and_a_dossier_with_events_cannot_be_deleted():
    dossier = DossierFactory()
    write("test.kept", dossier=dossier)
    with pytest.raises(ProtectedError), transaction.atomic():
        dossier.delete()


def test_deleting_an_account_keeps_its_events_and_the_chain():
    user = UserFactory()
    dossier = DossierFactory()
    event = write("test.by_user", dossier=dossier, user=user)
    user_id, email = user.pk, user.email

    user.delete()

    kept = AuditEvent.objects.get(pk=event.pk)
    assert kept.actor_id == user_id
    assert kept.actor_label == email
    assert AuditEvent.objects.select_related("actor").get(pk=event.pk).actor is None
    assert chains_verify().broken is None


# --- The operator's admin ---------------------------------------------------------------


def test_the_admin_shows_events_but_cannot_add_change_or_delete_them(client):
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)
    dossier = DossierFactory()
    event = write("test.seen_in_admin", dossier=dossier, user=operator)
    before = AuditEvent.objects.filter(pk=event.pk).values().get()

    listing = client.get(reverse("admin:audit_auditevent_changelist"))
    assert listing.status_code == 200
    assert "test.seen_in_admin" in listing.content.decode()
    assert 'name="action"' not in listing.content.decode()  # no bulk actions (delete)

    page = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert event.hash in html
    assert 'name="_save"' not in html
    assert reverse("admin:audit_auditevent_delete", args=[event.pk]) not in html

    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:audit_auditevent_change", args=[event.pk]), {"action": "x"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).values().get() == before


# --- Migration 0003 on a database that already has events -------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_events_written_before_the_chain():
    executor = MigrationExecutor(connection)
    before = [("audit", "0002_chain_and_exports")]
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        apps = MigrationExecutor(connection).loader.project_state(before).apps
        OldEvent = apps.get_model("audit", "AuditEvent")
        first, second = DossierFactory(), DossierFactory()
        # Events as the old record() wrote them: no rank, no hash, in interleaved order.
        for n in range(7):
            for dossier_id in (first.pk, second.pk, None):
                OldEvent.objects.create(
                    dossier_id=dossier_id,
                    action="test.old",
                    actor_label="système",
                    ip="2001:DB8::7" if n % 2 else "192.0.2.1",
                    details={"n": n, "f": 2.0},
                )
    finally:
        MigrationExecutor(connection).migrate(latest)

    assert append_only_guarded()
    for dossier in (first, second, None):
        events = chain_of(dossier)
        assert [e.seq for e in events] == list(range(1, 8))
        assert [e.details["n"] for e in events] == list(range(7))
    report = chains_verify()
    assert report.broken is None
    assert (report.events, report.chains) == (21, 3)
    # New events continue each chain.
    event = write("test.new", dossier=first)
    assert event.seq == 8
    assert chains_verify().broken is None


# --- Two writers at once (PostgreSQL) -----------------------------------------------------


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_writers_at_once_in_one_dossier_get_consecutive_ranks(attempt):
    # A new dossier: the first events also race to create the chain's head.
    dossier = DossierFactory()

    def writer(name: str) -> Callable[[], int]:
        def run() -> int:
            for n in range(10):
                write("test.concurrent", dossier=dossier, writer=name, n=n)
            return 10

        return run

    results = together(*(writer(name) for name in "abcd"))
    assert results == [10, 10, 10, 10]
    events = chain_of(dossier)
    assert [e.seq for e in events] == list(range(1, 41))
    assert AuditChain.objects.get(key=chain_key(dossier.pk)).last_seq == 40
    # Each writer's own events keep their order in the chain.
    for name in "abcd":
        assert [e.details["n"] for e in events if e.details["writer"] == name] == list(range(10))
    assert chains_verify(dossier_id=dossier.pk).broken is None
