"""Anchors: the chains' heads written outside the database catch a chain recomputed after
an edit, which the chain alone cannot see."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from comptoir.dossiers.tests.factories import DossierFactory

from ..actions import Actor, record
from ..anchors import anchor_last, anchor_write, anchors_path, heads_current
from ..chain import append_only_suspended, chains_verify, event_hash
from ..models import AuditChain, AuditEvent
from ..tasks import audit_anchor

pytestmark = pytest.mark.django_db


def write(action: str, *, dossier=None, **details) -> AuditEvent:
    with transaction.atomic():
        return record(actor=Actor.system(), action=action, dossier=dossier, details=details)


def verify(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def log():
    dossier = DossierFactory(name="Boulangerie Martin", slug="boulangerie-martin")
    other = DossierFactory(name="Garage du Port", slug="garage-du-port")
    events = [write("test.first", dossier=dossier, n=n) for n in range(5)]
    write("test.other", dossier=other, n=0)
    write("test.global", n=0)
    return {"dossier": dossier, "other": other, "events": events}


def rewrite_from(event: AuditEvent, **changes) -> None:
    """What an attacker with write access does: edit one event, then recompute the hash of
    it and of every later event of its chain, and the head; the chain holds again."""
    with append_only_suspended():
        AuditEvent.objects.filter(pk=event.pk).update(**changes)
        prev = event.prev_hash
        for later in AuditEvent.objects.filter(dossier=event.dossier, seq__gte=event.seq).order_by(
            "seq"
        ):
            later.prev_hash = prev
            later.hash = event_hash(later)
            AuditEvent.objects.filter(pk=later.pk).update(prev_hash=prev, hash=later.hash)
            prev = later.hash
        AuditChain.objects.filter(key=f"d:{event.dossier_id}").update(last_hash=prev)


def test_a_recomputed_chain_holds_alone_but_not_against_the_anchor(log):
    anchor_write(source="test")
    edited = log["events"][1]
    rewrite_from(edited, details={"n": 42})
    assert chains_verify().broken is None  # the limit of the chain alone

    code, out, err = verify()
    assert code == 1
    assert out == ""
    anchored = AuditEvent.objects.get(dossier=log["dossier"], seq=5)
    assert err.startswith(
        "Chaîne rompue : dossier « Boulangerie Martin » (boulangerie-martin), "
        f"événement #{anchored.pk} (rang 5) : son empreinte n'est plus celle que l'ancre du "
    )
    assert "la chaîne a été recalculée après une modification" in err
    # The other dossier's chain agrees with the anchor.
    assert verify("--dossier", "garage-du-port")[0] == 0
    assert verify("--dossier", "boulangerie-martin")[0] == 1


def test_a_chain_cut_short_with_its_head_is_caught(log):
    anchor_write(source="test")
    last_two = [event.pk for event in log["events"][3:]]
    with append_only_suspended():
        AuditEvent.objects.filter(pk__in=last_two).delete()
        AuditChain.objects.filter(key=f"d:{log['dossier'].pk}").update(
            last_seq=3, last_hash=log["events"][2].hash
        )
    assert chains_verify().broken is None
    code, _, err = verify()
    assert code == 1
    assert "enregistrait un événement de rang 5, qui n'existe plus" in err


def test_events_after_the_anchor_are_fine_and_the_anchor_is_named(log):
    anchor = anchor_write(source="test")
    write("test.later", dossier=log["dossier"], n=6)
    write("test.new", dossier=DossierFactory(), n=0)
    code, out, err = verify()
    assert (code, err) == (0, "")
    assert "Chaîne intacte : 9 événements vérifiés dans 4 chaînes." in out
    assert "Conforme à l'ancre du " in out
    assert str(anchors_path()) in out
    assert anchor_last() == anchor


def test_without_an_anchor_the_chain_alone_is_checked(log):
    code, out, _ = verify()
    assert (code, out.strip()) == (0, "Chaîne intacte : 7 événements vérifiés dans 3 chaînes.")


def test_the_last_whole_line_is_the_anchor(log, settings, tmp_path):
    first = anchor_write(source="test")
    write("test.later", dossier=log["dossier"], n=6)
    second = anchor_write(source="test")
    assert first.heads != second.heads
    with anchors_path().open("ab") as handle:
        handle.write(b'{"at": "2026-01-0')  # a crash in the middle of a line
    assert anchor_last() == second
    # Many lines: read from the end by blocks, not whole.
    for _ in range(300):
        anchor_write(source="test")
    assert anchor_last().heads == heads_current()
    assert anchors_path().stat().st_mode & 0o777 == 0o600


def test_the_daily_job_appends_the_heads(log):
    assert audit_anchor.call() == 3
    assert audit_anchor.call() == 3
    lines = anchors_path().read_text().splitlines()
    assert len(lines) == 2
    assert anchor_last().source == "daily"
    assert anchor_last().heads == heads_current()
