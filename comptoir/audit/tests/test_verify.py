"""`comptoir audit-verify`: an intact log says so; each kind of tampering is named."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from comptoir.dossiers.tests.factories import DossierFactory
from comptoir.testing.processes import comptoir_run

from ..actions import Actor, record
from ..chain import SQLITE_TRIGGERS, append_only_suspended, event_hash
from ..models import AuditChain, AuditEvent

pytestmark = pytest.mark.django_db


def write(action: str, *, dossier=None, **details) -> AuditEvent:
    with transaction.atomic():
        return record(actor=Actor.system(), action=action, dossier=dossier, details=details)


@pytest.fixture
def log():
    """Five events in one dossier, three in another, two without a dossier."""
    first = DossierFactory(name="Boulangerie Martin", slug="boulangerie-martin")
    second = DossierFactory(name="Garage du Port", slug="garage-du-port")
    events = {"first": [], "second": [], "global": []}
    for n in range(5):
        events["first"].append(write("test.first", dossier=first, n=n))
        if n < 3:
            events["second"].append(write("test.second", dossier=second, n=n))
        if n < 2:
            events["global"].append(write("test.global", n=n))
    return {"first": first, "second": second, "events": events}


def verify(*args: str) -> tuple[int, str, str]:
    """Exit code, standard output and error output of the command."""
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def tamper(change) -> None:
    with append_only_suspended():
        change()


def test_an_intact_log_holds(log):
    code, out, err = verify()
    assert code == 0
    assert out.strip() == "Chaîne intacte : 10 événements vérifiés dans 3 chaînes."
    assert err == ""


def test_one_dossier_is_verified_alone(log):
    code, out, _ = verify("--dossier", "garage-du-port")
    assert code == 0
    assert out.strip() == "Chaîne intacte : 3 événements vérifiés dans 1 chaîne."


def test_an_empty_log_holds():
    code, out, _ = verify()
    assert (code, out.strip()) == (0, "Chaîne intacte : 0 événements vérifiés dans 0 chaînes.")


def test_an_unknown_dossier_is_a_usage_error(log):
    with pytest.raises(CommandError, match="« nulle-part »") as error:
        call_command("audit_verify", "--dossier", "nulle-part")
    assert error.value.returncode == 2


def test_an_edited_event_is_named(log):
    edited = log["events"]["first"][2]
    tamper(lambda: AuditEvent.objects.filter(pk=edited.pk).update(details={"n": 42}))

    code, out, err = verify()
    assert code == 1
    assert out == ""
    assert err.strip() == (
        f"Chaîne rompue : dossier « Boulangerie Martin » (boulangerie-martin), "
        f"événement #{edited.pk} (rang 3) : son contenu ne correspond plus à son empreinte "
        f"(événement modifié)"
    )
    # The other dossier is untouched, and says so.
    assert verify("--dossier", "garage-du-port")[0] == 0
    assert verify("--dossier", "boulangerie-martin")[0] == 1


def test_an_edited_time_or_author_is_named(log):
    event = log["events"]["second"][0]
    tamper(lambda: AuditEvent.objects.filter(pk=event.pk).update(actor_label="quelqu'un"))
    code, _, err = verify("--dossier", "garage-du-port")
    assert code == 1
    assert f"événement #{event.pk} (rang 1) : son contenu ne correspond plus" in err


def test_a_deleted_event_in_the_middle_is_named(log):
    deleted, after = log["events"]["first"][1], log["events"]["first"][2]
    tamper(lambda: AuditEvent.objects.filter(pk=deleted.pk).delete())

    code, _, err = verify()
    assert code == 1
    assert err.strip() == (
        f"Chaîne rompue : dossier « Boulangerie Martin » (boulangerie-martin), "
        f"événement #{after.pk} (rang 3) : l'événement de rang 2 manque avant lui (supprimé)"
    )


def test_several_deleted_events_are_counted(log):
    events = log["events"]["first"]
    tamper(lambda: AuditEvent.objects.filter(pk__in=[events[0].pk, events[1].pk]).delete())
    code, _, err = verify()
    assert code == 1
    assert f"événement #{events[2].pk} (rang 3) : les 2 événements des rangs 1 à 2 manquent" in err


def test_a_deleted_last_event_is_seen_from_the_head(log):
    last, before = log["events"]["first"][4], log["events"]["first"][3]
    tamper(lambda: AuditEvent.objects.filter(pk=last.pk).delete())

    code, _, err = verify()
    assert code == 1
    assert err.strip() == (
        f"Chaîne rompue : dossier « Boulangerie Martin » (boulangerie-martin), "
        f"événement #{before.pk} (rang 4) : la chaîne s'arrête au rang 4 alors que sa tête en "
        f"annonce 5 : le dernier événement a été supprimé"
    )


def test_a_whole_deleted_chain_is_seen_from_its_head(log):
    tamper(lambda: AuditEvent.objects.filter(dossier=log["second"]).delete())
    code, _, err = verify()
    assert code == 1
    assert err.strip() == (
        "Chaîne rompue : dossier « Garage du Port » (garage-du-port) : il ne reste aucun "
        "événement alors que sa tête en annonce 3 : ils ont été supprimés"
    )


def test_swapped_events_are_named(log):
    second, third = log["events"]["first"][1], log["events"]["first"][2]

    def swap() -> None:
        AuditEvent.objects.filter(pk=second.pk).update(seq=999_999)
        AuditEvent.objects.filter(pk=third.pk).update(seq=2)
        AuditEvent.objects.filter(pk=second.pk).update(seq=3)

    tamper(swap)
    code, _, err = verify()
    assert code == 1
    assert err.strip() == (
        f"Chaîne rompue : dossier « Boulangerie Martin » (boulangerie-martin), "
        f"événement #{third.pk} (rang 2) : l'empreinte précédente qu'il porte n'est pas celle "
        f"de l'événement qui le précède (ordre modifié, ou événement remplacé)"
    )


def test_a_rewritten_chain_still_disagrees_with_its_head(log):
    # Someone edits the last event and recomputes its hash, but not the head.
    last = AuditEvent.objects.get(pk=log["events"]["second"][2].pk)
    last.details = {"n": 99}
    forged = event_hash(last)
    tamper(lambda: AuditEvent.objects.filter(pk=last.pk).update(details={"n": 99}, hash=forged))
    code, _, err = verify("--dossier", "garage-du-port")
    assert code == 1
    assert err.strip().endswith(
        f"événement #{last.pk} (rang 3) : la tête de chaîne a une autre empreinte pour ce "
        f"rang (événement ou tête réécrits)"
    )


def test_events_written_while_it_runs_are_not_a_break(log, monkeypatch):
    # The heads are read before the events: events written in between come after their
    # head's rank, or in a chain whose head was not there yet.
    from .. import chain

    heads_before = chain._heads(None)
    write("test.meanwhile", dossier=log["first"], n=5)
    write("test.meanwhile", dossier=DossierFactory(), n=0)
    monkeypatch.setattr(chain, "_heads", lambda dossier_id: dict(heads_before))

    code, out, _ = verify()
    assert (code, out.strip()) == (0, "Chaîne intacte : 12 événements vérifiés dans 4 chaînes.")


def test_the_chain_without_dossier_is_named(log):
    event = log["events"]["global"][1]
    tamper(lambda: AuditEvent.objects.filter(pk=event.pk).update(action="test.other"))
    code, _, err = verify()
    assert code == 1
    assert err.strip().startswith(
        f"Chaîne rompue : événements sans dossier, événement #{event.pk} (rang 2) : "
    )


def test_events_whose_head_is_gone_are_named(log):
    tamper(lambda: AuditChain.objects.filter(key=f"d:{log['second'].pk}").delete())
    code, _, err = verify()
    assert code == 1
    assert "ces événements n'ont pas de tête de chaîne" in err
    assert f"(garage-du-port), événement #{log['events']['second'][0].pk} (rang 1)" in err


def test_a_missing_guard_is_reported(log):
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER {SQLITE_TRIGGERS[0]}")
            else:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # see append_only_suspended
                cursor.execute(
                    "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only"
                )
        code, out, err = verify()
        transaction.set_rollback(True)
    assert code == 0
    assert "Chaîne intacte" in out
    assert "ne refuse plus la modification" in err


def test_the_command_is_spelled_with_a_dash(tmp_path):
    assert comptoir_run("migrate", "-v", "0", data_dir=tmp_path).returncode == 0
    result = comptoir_run("audit-verify", data_dir=tmp_path)
    assert (result.returncode, result.stdout.strip()) == (
        0,
        "Chaîne intacte : 0 événements vérifiés dans 0 chaînes.",
    )
    unknown = comptoir_run("audit-verify", "--dossier", "nulle-part", data_dir=tmp_path)
    assert unknown.returncode == 2
    assert "nulle-part" in unknown.stderr
