"""Share link actions: creation rules, the dossier's policy, revoke, states, counting."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.contrib.auth.hashers import check_password
from django.db.models import F
from django.utils import timezone

from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.documents.models import Document
from comptoir.dossiers.actions import firm_create
from comptoir.dossiers.models import FirmAccess, Membership
from comptoir.dossiers.permissions import Role
from comptoir.sharing import actions
from comptoir.sharing.access import share_link_by_token, share_link_resolve
from comptoir.sharing.models import (
    AccessKind,
    LinkState,
    ShareLink,
    ShareLinkAccess,
    SharePolicy,
)
from comptoir.sharing.selectors import link_rows, links_with_details

from .conftest import PASSWORD, access_of, make_link, person


def actor(office, who="owner"):
    return Actor(user=office["users"][who])


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# --- Creating -----------------------------------------------------------------------------


def test_a_link_keeps_only_the_hash_of_a_256_bit_token_and_a_hashed_password(office):
    link, token = make_link(
        office,
        documents=("releve", "bilan"),
        recipients=["Banque@Exemple.test", "notaire@exemple.test", "banque@exemple.test"],
        password=PASSWORD,
        message="Voici les pièces demandées.",
        max_downloads=5,
        notify_first_open=True,
    )
    assert len(token) >= 43  # token_urlsafe(32): 256 random bits
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = ShareLink.objects.filter(pk=link.pk).values().get()
    assert token not in repr(row)
    assert PASSWORD not in repr(row)
    assert check_password(PASSWORD, link.password_hash)
    assert sorted(link.recipients.values_list("email", flat=True)) == [
        "banque@exemple.test",
        "notaire@exemple.test",
    ]
    assert set(link.documents.all()) == {
        office["documents"]["releve"],
        office["documents"]["bilan"],
    }
    assert share_link_by_token(token) == link
    event = AuditEvent.objects.get(action="share_link.created")
    assert event.dossier == office["dossier"]
    assert event.actor == office["users"]["owner"]
    assert event.details["password"] is True
    assert PASSWORD not in repr(event.details)
    assert event.details["recipients"] == ["banque@exemple.test", "notaire@exemple.test"]


def test_two_links_never_share_a_token(office):
    tokens = {make_link(office)[1] for _ in range(5)}
    assert len(tokens) == 5


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"recipients": ["pas-une-adresse"]}, "pas valide"),
        ({"recipients": ["  "]}, "au moins une adresse"),
        ({"recipients": [f"d{i}@exemple.test" for i in range(21)]}, "20 destinataires"),
        ({"expires_at": timezone.now() - datetime.timedelta(minutes=1)}, "dans le futur"),
        ({"password": "court"}, "au moins 8"),
        ({"max_downloads": 0}, "entre 1 et"),
        ({"message": "x" * 2001}, "2000 caractères"),
        ({"documents": ()}, "au moins un document"),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(office, options, message):
    documents = options.pop("documents", ("releve",))
    with pytest.raises(actions.ActionRefused, match=message):
        make_link(office, documents=documents, **options)
    assert not ShareLink.objects.exists()
    assert events("share_link.created") == 0


def test_only_documents_the_creator_sees_may_be_linked(office):
    trashed = office["documents"]["bilan"]
    Document.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    for document in [trashed, office["foreign_document"]]:
        with pytest.raises(actions.ActionRefused, match="plus disponible"):
            actions.share_link_create(
                actor=actor(office),
                access=access_of(office),
                documents=[document],
                recipients=["a@exemple.test"],
            )
    # An Utilisateur allowed to share but limited to "Fiscal" cannot link "Comptabilité".
    membership = Membership.objects.get(user=office["users"]["sharer"])
    membership.restrict_folders = True
    membership.visible_folder_ids = [office["folders"]["Fiscal"].pk]
    membership.save()
    with pytest.raises(actions.ActionRefused):
        make_link(office, by="sharer", documents=("releve",))
    link, _token = make_link(office, by="sharer", documents=("photo",))
    assert link.created_by == office["users"]["sharer"]
    assert ShareLink.objects.count() == 1


def test_a_role_without_the_right_to_share_is_refused(office):
    for who in ["readonly", "user"]:
        with pytest.raises(actions.ActionRefused):
            make_link(office, by=who)
    assert not ShareLink.objects.exists()


# --- The dossier's policy -----------------------------------------------------------------


def policy(office, **values):
    return actions.sharing_policy_update(actor=actor(office), access=access_of(office), **values)


def test_policy_can_require_a_password(office):
    policy(office, require_password=True, max_expiry_days=None)
    with pytest.raises(actions.ActionRefused, match="mot de passe"):
        make_link(office)
    link, _token = make_link(office, password=PASSWORD)
    assert link.has_password


def test_policy_requires_and_caps_the_expiry(office):
    policy(office, require_password=False, max_expiry_days=7)
    with pytest.raises(actions.ActionRefused, match="date d'expiration"):
        make_link(office)
    today = timezone.localdate()
    too_late = actions.expiry_from_date(today + datetime.timedelta(days=8))
    with pytest.raises(actions.ActionRefused, match="7 jours"):
        make_link(office, expires_at=too_late)
    last_day = actions.expiry_from_date(today + datetime.timedelta(days=7))
    link, _token = make_link(office, expires_at=last_day)
    assert link.expires_at == last_day
    assert link.last_valid_day == today + datetime.timedelta(days=7)
    assert ShareLink.objects.count() == 1


def test_policy_change_is_logged_and_checked(office):
    policy(office, require_password=True, max_expiry_days=30)
    event = AuditEvent.objects.get(action="sharing_policy.updated")
    assert event.details["changed"] == {
        "require_password": [False, True],
        "max_expiry_days": [None, 30],
    }
    policy(office, require_password=True, max_expiry_days=30)  # no change, no event
    assert events("sharing_policy.updated") == 1
    with pytest.raises(actions.ActionRefused):
        policy(office, require_password=False, max_expiry_days=0)
    with pytest.raises(actions.ActionRefused):
        actions.sharing_policy_update(
            actor=actor(office, "accountant"),
            access=access_of(office, "accountant"),
            require_password=False,
            max_expiry_days=None,
        )
    stored = SharePolicy.objects.get(dossier=office["dossier"])
    assert (stored.require_password, stored.max_expiry_days) == (True, 30)


# --- Revoking -----------------------------------------------------------------------------


def test_revoke_is_logged_once(office):
    link, _token = make_link(office)
    actions.share_link_revoke(
        actor=actor(office, "admin"), access=access_of(office, "admin"), link=link
    )
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert link.revoked_by == office["users"]["admin"]
    assert events("share_link.revoked") == 1
    with pytest.raises(actions.ActionRefused, match="déjà révoqué"):
        actions.share_link_revoke(actor=actor(office), access=access_of(office), link=link)
    assert events("share_link.revoked") == 1
    assert share_link_resolve(link).state == LinkState.REVOKED


# --- States -------------------------------------------------------------------------------


def state_of(link) -> str:
    link.refresh_from_db()
    return share_link_resolve(link).state


def test_states_expired_exhausted_and_active(office):
    link, _token = make_link(office, max_downloads=1)
    assert state_of(link) == LinkState.ACTIVE
    ShareLink.objects.filter(pk=link.pk).update(download_count=1)
    assert state_of(link) == LinkState.EXHAUSTED
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    assert state_of(link) == LinkState.EXPIRED


def test_a_link_dies_with_its_documents_and_revives_on_restore(office):
    link, _token = make_link(office, documents=("releve", "bilan"))
    releve, bilan = office["documents"]["releve"], office["documents"]["bilan"]
    Document.objects.filter(pk=releve.pk).update(deleted_at=timezone.now())
    resolved = share_link_resolve(link)
    assert resolved.state == LinkState.ACTIVE
    assert resolved.documents == [bilan]  # the trashed one is not served
    Document.objects.filter(pk=bilan.pk).update(deleted_at=timezone.now())
    assert state_of(link) == LinkState.INACTIVE
    Document.objects.filter(pk=bilan.pk).update(deleted_at=None)
    assert state_of(link) == LinkState.ACTIVE
    Document.objects.filter(pk__in=[releve.pk, bilan.pk]).delete()  # purged for good
    assert state_of(link) == LinkState.INACTIVE


@pytest.mark.parametrize("change", ["removed", "demoted", "deactivated"])
def test_a_link_dies_when_its_creator_loses_the_right_to_share(office, change):
    link, _token = make_link(office, by="sharer")
    membership = Membership.objects.get(user=office["users"]["sharer"])
    if change == "removed":
        membership.delete()
    elif change == "demoted":
        membership.extra_permissions = []
        membership.save()
    else:
        office["users"]["sharer"].is_active = False
        office["users"]["sharer"].save()
    assert state_of(link) == LinkState.INACTIVE


def test_a_firm_accountant_link_dies_with_the_firms_access(office):
    staff = person("staff@cabinet.test")
    firm = firm_create(actor=Actor(user=staff), name="Cabinet Dupont")
    FirmAccess.objects.create(dossier=office["dossier"], firm=firm)
    from comptoir.dossiers.access import dossier_access_for

    link, _token = actions.share_link_create(
        actor=Actor(user=staff),
        access=dossier_access_for(staff, office["dossier"].slug),
        documents=[office["documents"]["releve"]],
        recipients=["banque@exemple.test"],
    )
    assert state_of(link) == LinkState.ACTIVE
    FirmAccess.objects.filter(firm=firm).delete()
    assert state_of(link) == LinkState.INACTIVE


def test_the_list_judges_every_link_as_the_recipient_page_does(office):
    links = [make_link(office, by=who)[0] for who in ["owner", "sharer", "accountant", "admin"]]
    limited, _token = make_link(office, by="sharer", documents=("releve", "photo"))
    expired, _token = make_link(office)
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    revoked, _token = make_link(office)
    ShareLink.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    exhausted, _token = make_link(office, max_downloads=2)
    ShareLink.objects.filter(pk=exhausted.pk).update(download_count=2)
    trashed, _token = make_link(office, documents=("bilan",))
    Document.objects.filter(pk=office["documents"]["bilan"].pk).update(deleted_at=timezone.now())
    # The sharer loses the right to share; then gets it back but limited to "Fiscal".
    membership = Membership.objects.get(user=office["users"]["sharer"])
    Membership.objects.filter(pk=membership.pk).update(
        restrict_folders=True, visible_folder_ids=[office["folders"]["Fiscal"].pk]
    )
    Membership.objects.filter(user=office["users"]["accountant"]).update(role=Role.READ_ONLY)
    everything = [*links, limited, expired, revoked, exhausted, trashed]
    rows = link_rows(
        dossier=office["dossier"],
        links=links_with_details(ShareLink.objects.filter(pk__in=[x.pk for x in everything])),
    )
    listed = {row.link.pk: row.state for row in rows}
    for link in everything:
        link.refresh_from_db()
        assert listed[link.pk] == share_link_resolve(link).state, link
    assert listed[limited.pk] == LinkState.ACTIVE  # its photo is still in the sharer's folders
    assert listed[links[1].pk] == LinkState.INACTIVE  # its relevé no longer is
    assert listed[links[2].pk] == LinkState.INACTIVE  # the accountant became Lecture seule
    assert listed[trashed.pk] == LinkState.INACTIVE
    assert (listed[expired.pk], listed[revoked.pk], listed[exhausted.pk]) == (
        LinkState.EXPIRED,
        LinkState.REVOKED,
        LinkState.EXHAUSTED,
    )


# --- Downloads ----------------------------------------------------------------------------


def test_every_file_counts_a_zip_included(office):
    link, _token = make_link(office, documents=("releve", "bilan", "photo"), max_downloads=4)
    docs = share_link_resolve(link).documents
    link_actor = actions.link_actor(link, ip="192.0.2.10", user_agent="Navigateur de test")
    actions.share_link_downloads_record(actor=link_actor, link=link, documents=docs, as_zip=True)
    link.refresh_from_db()
    assert link.download_count == 3
    # One left: a ZIP of three is refused, one file still goes.
    with pytest.raises(actions.ActionRefused, match="qu'1 téléchargement"):
        actions.share_link_downloads_record(
            actor=link_actor, link=link, documents=docs, as_zip=True
        )
    actions.share_link_downloads_record(actor=link_actor, link=link, documents=docs[:1])
    link.refresh_from_db()
    assert link.download_count == 4
    assert share_link_resolve(link).state == LinkState.EXHAUSTED
    with pytest.raises(actions.ActionRefused, match="nombre maximal"):
        actions.share_link_downloads_record(actor=link_actor, link=link, documents=docs[:1])
    rows = ShareLinkAccess.objects.filter(link=link, kind=AccessKind.DOWNLOAD)
    assert rows.count() == 4
    assert set(rows.values_list("ip", flat=True)) == {"192.0.2.10"}
    events_ = AuditEvent.objects.filter(action="share_link.downloaded")
    assert events_.count() == 4
    assert set(events_.values_list("actor_label", flat=True)) == {f"lien de partage #{link.pk}"}
    assert set(events_.values_list("actor", flat=True)) == {None}


# --- The password throttle ----------------------------------------------------------------


def fail(link, ip: str, seconds_ago: float) -> None:
    row = ShareLinkAccess.objects.create(link=link, kind=AccessKind.PASSWORD_FAILED, ip=ip)
    ShareLinkAccess.objects.filter(pk=row.pk).update(
        at=timezone.now() - datetime.timedelta(seconds=seconds_ago)
    )


def test_the_delay_grows_from_the_third_failure_then_blocks_at_ten(office):
    link, _token = make_link(office, password=PASSWORD)
    ip = "198.51.100.7"
    assert actions.password_throttle(link=link, ip=ip).allows_attempt
    fail(link, ip, 0.1)
    fail(link, ip, 0.1)
    assert actions.password_throttle(link=link, ip=ip).allows_attempt
    fail(link, ip, 0.1)  # third failure: 1 s
    assert actions.password_throttle(link=link, ip=ip).wait_seconds == 1
    for _ in range(3):
        fail(link, ip, 0.1)  # sixth failure: 2^3 = 8 s
    assert 7 <= actions.password_throttle(link=link, ip=ip).wait_seconds <= 8
    ShareLinkAccess.objects.update(at=F("at") - datetime.timedelta(seconds=9))
    assert actions.password_throttle(link=link, ip=ip).allows_attempt
    for _ in range(3):
        fail(link, ip, 0)  # ninth: 2^6 = 64 s, capped at 60
    assert 59 <= actions.password_throttle(link=link, ip=ip).wait_seconds <= 60
    fail(link, ip, 0)
    throttle = actions.password_throttle(link=link, ip=ip)
    assert throttle.blocked
    assert throttle.wait_minutes == 30
    # Thirty minutes after the oldest failures, the link takes tries again.
    ShareLinkAccess.objects.update(at=F("at") - datetime.timedelta(minutes=31))
    assert actions.password_throttle(link=link, ip=ip).allows_attempt


def test_a_try_refused_by_the_throttle_is_not_checked_nor_counted(office):
    link, _token = make_link(office, password=PASSWORD)
    for _ in range(3):
        fail(link, "198.51.100.7", 0)
    link_actor = actions.link_actor(link, ip="198.51.100.7")
    answer = actions.share_link_password_attempt(actor=link_actor, link=link, password=PASSWORD)
    assert (answer.accepted, answer.checked) == (False, False)
    assert ShareLinkAccess.objects.count() == 3
    ShareLinkAccess.objects.update(at=F("at") - datetime.timedelta(seconds=2))
    answer = actions.share_link_password_attempt(actor=link_actor, link=link, password=PASSWORD)
    assert answer.accepted
    assert ShareLinkAccess.objects.count() == 3  # the right try left no failure behind
    answer = actions.share_link_password_attempt(actor=link_actor, link=link, password="faux-1234")
    assert (answer.accepted, answer.checked) == (False, True)
    assert ShareLinkAccess.objects.count() == 4
    event = AuditEvent.objects.get(action="share_link.password_failed")
    assert event.actor is None
    assert event.actor_label == f"lien de partage #{link.pk}"
    assert event.ip == "198.51.100.7"
