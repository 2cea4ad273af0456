"""The dossier's link pages: create, list, detail, revoke, policy; who may; hostile input."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comptoir.audit.models import AuditEvent
from comptoir.documents.models import Document
from comptoir.dossiers.models import Membership
from comptoir.sharing.models import LinkState, ShareLink, SharePolicy, token_digest

from .conftest import LINK_PATH, PASSWORD, client_for, make_link, person


def url(office, rest: str = "") -> str:
    return f"/d/{office['dossier'].slug}/links/{rest}"


def create_form(office, *keys, **fields):
    data = {
        "documents": [str(office["documents"][k].pk) for k in keys or ("releve",)],
        "recipients": "banque@exemple.test",
        "message": "",
        "expires_on": "",
        "password": "",
        "max_downloads": "",
    }
    data.update(fields)
    return data


def snapshot():
    return (
        list(ShareLink.objects.order_by("pk").values()),
        list(SharePolicy.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


# --- Creating -----------------------------------------------------------------------------


def test_the_form_shows_the_chosen_documents(office):
    client = client_for(office["users"]["owner"])
    releve, photo = office["documents"]["releve"], office["documents"]["photo"]
    response = client.get(url(office, "new/") + f"?documents={releve.pk}&documents={photo.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "relevé janvier.pdf" in html
    assert "ticket.png" in html
    assert "bilan 2025.pdf" not in html
    assert f'name="documents" value="{releve.pk}"' in html
    # Without documents, the page says where to choose them.
    assert "Choisissez d'abord les documents" in client.get(url(office, "new/")).content.decode()


def test_documents_the_person_cannot_see_are_404(office):
    client = client_for(office["users"]["owner"])
    trashed = office["documents"]["bilan"]
    Document.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    for value in [office["foreign_document"].pk, trashed.pk, 999_999, "abc", "9" * 40, "-1"]:
        assert client.get(url(office, f"new/?documents={value}")).status_code == 404, value
        response = client.post(url(office, "new/"), create_form(office, documents=[str(value)]))
        assert response.status_code == 404, value
    assert not ShareLink.objects.exists()


def test_creating_shows_the_link_once_and_emails_the_recipients(
    office, django_capture_on_commit_callbacks
):
    client = client_for(office["users"]["sharer"])
    last_day = timezone.localdate() + datetime.timedelta(days=5)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(office, "new/"),
            create_form(
                office,
                "releve",
                "bilan",
                recipients="banque@exemple.test; Notaire@Exemple.test\nbanque@exemple.test",
                message="Les pièces du dossier de prêt.",
                expires_on=last_day.isoformat(),
                password=PASSWORD,
                max_downloads="4",
                notify_first_open="on",
            ),
        )
    assert response.status_code == 200
    html = response.content.decode()
    token = LINK_PATH.search(html).group(1)
    link = ShareLink.objects.get()
    assert link.token_hash == token_digest(token)
    assert f'value="http://testserver/s/{token}/"' in html
    assert "readonly" in html
    assert PASSWORD not in html
    assert link.created_by == office["users"]["sharer"]
    assert link.last_valid_day == last_day
    assert (link.max_downloads, link.notify_first_open) == (4, True)
    assert link.message == "Les pièces du dossier de prêt."
    assert sorted(link.recipients.values_list("email", flat=True)) == [
        "banque@exemple.test",
        "notaire@exemple.test",
    ]
    assert len(mail.outbox) == 2
    assert all(f"http://testserver/s/{token}/" in m.body for m in mail.outbox)
    # The token is never shown again.
    detail = client.get(url(office, f"{link.pk}/")).content.decode()
    assert token not in detail
    assert token not in client.get(url(office)).content.decode()
    assert 'src="/static/sharing/copy.js"' in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"recipients": "pas-une-adresse, autre@"}, "ne sont pas valides"),
        ({"recipients": ""}, "Ce champ est obligatoire"),
        ({"recipients": "a@b.test " * 2000}, "au plus"),
        ({"expires_on": "2001-01-01"}, "dans le futur"),
        ({"expires_on": "31/02/2030"}, "date valide"),
        ({"expires_on": "9999-12-31"}, "entre 2000 et 2999"),
        ({"password": "court"}, "au moins 8"),
        ({"max_downloads": "zéro"}, "nombre entier"),
        ({"max_downloads": "0"}, "supérieure ou égale à 1"),
        ({"message": "x" * 5000}, "au plus 2000"),
    ],
)
def test_bad_input_gets_a_clear_message_and_creates_nothing(office, fields, message):
    client = client_for(office["users"]["owner"])
    before = snapshot()
    response = client.post(url(office, "new/"), create_form(office, **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot() == before
    assert mail.outbox == []


def test_a_post_without_documents_is_refused_with_a_message(office):
    client = client_for(office["users"]["owner"])
    response = client.post(url(office, "new/"), create_form(office, documents=[]))
    assert response.status_code == 200
    assert "Choisissez au moins un document" in response.content.decode()
    assert not ShareLink.objects.exists()


def test_a_huge_form_gets_400_not_500(office):
    client = client_for(office["users"]["owner"])
    fields = {f"field{i}": "x" for i in range(1500)}  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = client.post(url(office, "new/"), {**create_form(office), **fields})
    assert response.status_code == 400
    too_many = client.post(
        url(office, "new/"), create_form(office, documents=[str(i) for i in range(1, 150)])
    )
    assert too_many.status_code in {200, 404}
    assert not ShareLink.objects.exists()


def test_too_many_documents_is_a_clear_message(office):
    client = client_for(office["users"]["owner"])
    ids = "&".join(f"documents={i}" for i in range(1, 150))
    response = client.get(url(office, f"new/?{ids}"))
    assert response.status_code == 200
    assert "Trop de documents" in response.content.decode()


def test_the_policy_is_enforced_by_the_form(office):
    SharePolicy.objects.create(dossier=office["dossier"], require_password=True, max_expiry_days=7)
    client = client_for(office["users"]["owner"])
    form_page = client.get(url(office, "new/") + f"?documents={office['documents']['releve'].pk}")
    html = form_page.content.decode()
    assert "un mot de passe est obligatoire" in html
    assert "7 jours au plus" in html
    response = client.post(url(office, "new/"), create_form(office))
    assert "Ce champ est obligatoire" in response.content.decode()
    late = (timezone.localdate() + datetime.timedelta(days=8)).isoformat()
    response = client.post(
        url(office, "new/"), create_form(office, expires_on=late, password=PASSWORD)
    )
    assert "limitent la validité" in response.content.decode()
    assert not ShareLink.objects.exists()
    ok = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    response = client.post(
        url(office, "new/"), create_form(office, expires_on=ok, password=PASSWORD)
    )
    assert response.status_code == 200
    assert ShareLink.objects.count() == 1


# --- Listing and reading ------------------------------------------------------------------


def test_the_list_shows_each_state_and_the_counts(office):
    active, _t = make_link(office, recipients=["actif@exemple.test"])
    ShareLink.objects.filter(pk=active.pk).update(open_count=3, download_count=2, max_downloads=9)
    expired, _t = make_link(office, recipients=["expire@exemple.test"])
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    revoked, _t = make_link(office, recipients=["revoque@exemple.test"])
    ShareLink.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    exhausted, _t = make_link(office, recipients=["epuise@exemple.test"], max_downloads=1)
    ShareLink.objects.filter(pk=exhausted.pk).update(download_count=1)
    dead, _t = make_link(office, by="sharer", recipients=["inactif@exemple.test"])
    Membership.objects.filter(user=office["users"]["sharer"]).delete()
    response = client_for(office["users"]["owner"]).get(url(office))
    assert response.status_code == 200
    html = response.content.decode()

    def row(link):
        return re.search(rf'<tr id="link-{link.pk}">(.*?)</tr>', html, re.S).group(1)

    assert "Actif" in row(active)
    assert "2 / 9" in row(active)
    assert ">3<" in row(active)
    assert "Expiré" in row(expired)
    assert "Révoqué" in row(revoked)
    assert "Épuisé" in row(exhausted)
    assert "Inactif" in row(dead)
    assert "inactif@exemple.test" in row(dead)


def test_the_list_query_count_does_not_grow_with_links(office, django_assert_max_num_queries):
    client = client_for(office["users"]["owner"])
    make_link(office, documents=("releve", "bilan"))
    make_link(office, by="sharer", documents=("photo",))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(office)).status_code == 200
    creators = ["owner", "admin", "accountant", "sharer"]
    for n in range(30):
        link, _token = make_link(
            office,
            by=creators[n % 4],
            documents=("releve", "bilan", "photo")[: 1 + n % 3],
            recipients=[f"r{n}@exemple.test", f"s{n}@exemple.test"],
        )
        if n % 5 == 0:
            ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    Membership.objects.filter(user=office["users"]["sharer"]).update(
        restrict_folders=True, visible_folder_ids=[office["folders"]["Fiscal"].pk]
    )
    with django_assert_max_num_queries(len(few) + 1):  # +1: the folder tree, once
        response = client.get(url(office))
    assert response.status_code == 200
    assert response.content.decode().count('<tr id="link-') == 32


def test_the_detail_page_shows_every_access(office):
    link, token = make_link(office, documents=("releve",))
    visitor = client_for(None, REMOTE_ADDR="203.0.113.50", HTTP_USER_AGENT="Firefox du notaire")
    visitor.get(f"/s/{token}/")
    visitor.post(f"/s/{token}/documents/{office['documents']['releve'].pk}/")
    response = client_for(office["users"]["accountant"]).get(url(office, f"{link.pk}/"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "203.0.113.50" in html
    assert "Firefox du notaire" in html
    assert "Ouverture" in html
    assert "Téléchargement" in html
    assert "relevé janvier.pdf" in html


def test_a_restricted_member_sees_only_links_of_its_folders(office):
    comptabilite, _t = make_link(office, documents=("releve",))
    mixed, _t = make_link(office, documents=("releve", "photo"))
    fiscal, _t = make_link(office, documents=("photo",))
    Membership.objects.filter(user=office["users"]["sharer"]).update(
        restrict_folders=True, visible_folder_ids=[office["folders"]["Fiscal"].pk]
    )
    client = client_for(office["users"]["sharer"])
    html = client.get(url(office)).content.decode()
    assert f'id="link-{fiscal.pk}"' in html
    assert f'id="link-{mixed.pk}"' not in html
    assert f'id="link-{comptabilite.pk}"' not in html
    assert client.get(url(office, f"{fiscal.pk}/")).status_code == 200
    for hidden in [mixed, comptabilite]:
        assert client.get(url(office, f"{hidden.pk}/")).status_code == 404
        assert client.post(url(office, f"{hidden.pk}/revoke/")).status_code == 404
    assert ShareLink.objects.filter(revoked_at__isnull=False).count() == 0


def test_odd_ids_are_404(office):
    client = client_for(office["users"]["owner"])
    for rest in ["abc/", "9" * 30 + "/", "-1/", "1.5/", "999999/"]:
        assert client.get(url(office, rest)).status_code == 404, rest


# --- Revoking -----------------------------------------------------------------------------


def test_revoke_stops_the_link_at_once(office):
    link, token = make_link(office)
    client = client_for(office["users"]["admin"])
    response = client.post(url(office, f"{link.pk}/revoke/"))
    assert response.status_code == 302
    assert response["Location"] == url(office, f"{link.pk}/")
    assert "Le lien est révoqué" in client.get(response["Location"]).content.decode()
    link.refresh_from_db()
    assert link.revoked_by == office["users"]["admin"]
    assert client_for(None).get(f"/s/{token}/").status_code == 410
    again = client.post(url(office, f"{link.pk}/revoke/"), follow=True)
    assert "déjà révoqué" in again.content.decode()
    assert AuditEvent.objects.filter(action="share_link.revoked").count() == 1


# --- Policy -------------------------------------------------------------------------------


def test_the_policy_page_saves_and_explains_errors(office):
    client = client_for(office["users"]["admin"])
    settings_page = client.get(f"/d/{office['dossier'].slug}/settings/").content.decode()
    assert f"/d/{office['dossier'].slug}/settings/sharing/" in settings_page
    policy_url = f"/d/{office['dossier'].slug}/settings/sharing/"
    assert client.get(policy_url).status_code == 200
    for bad in ["0", "-3", "abc", "99999"]:
        response = client.post(policy_url, {"require_password": "on", "max_expiry_days": bad})
        assert response.status_code == 200
        assert "field-errors" in response.content.decode()
    assert not SharePolicy.objects.exists()
    response = client.post(policy_url, {"require_password": "on", "max_expiry_days": "30"})
    assert response.status_code == 302
    policy = SharePolicy.objects.get()
    assert (policy.require_password, policy.max_expiry_days) == (True, 30)
    assert AuditEvent.objects.filter(action="sharing_policy.updated").count() == 1


# --- Who may ------------------------------------------------------------------------------

ROUTES = ["create", "revoke", "policy"]


def request_route(client, office, route: str, link):
    if route == "create":
        return client.post(url(office, "new/"), create_form(office))
    if route == "revoke":
        return client.post(url(office, f"{link.pk}/revoke/"))
    return client.post(f"/d/{office['dossier'].slug}/settings/sharing/", {"require_password": "on"})


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_is_sent_to_login_and_changes_nothing(office, route):
    link, _token = make_link(office)
    before = snapshot()
    response = request_route(client_for(None), office, route, link)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert snapshot() == before


@pytest.mark.parametrize("route", ROUTES)
def test_another_dossiers_member_gets_404_and_changes_nothing(office, route):
    link, _token = make_link(office)
    client = client_for(office["outsider"])
    before = snapshot()
    assert request_route(client, office, route, link).status_code == 404
    assert client.get(url(office)).status_code == 404
    assert client.get(url(office, f"{link.pk}/")).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    ("route", "role"),
    [
        ("create", "readonly"),
        ("create", "user"),
        ("revoke", "readonly"),
        ("revoke", "user"),
        ("policy", "accountant"),
        ("policy", "sharer"),
    ],
)
def test_a_role_too_low_gets_403_and_changes_nothing(office, route, role):
    link, _token = make_link(office)
    client = client_for(office["users"][role])
    before = snapshot()
    assert request_route(client, office, route, link).status_code == 403
    assert snapshot() == before


def test_reading_links_needs_the_right_to_share(office):
    link, _token = make_link(office)
    for role in ["readonly", "user"]:
        client = client_for(office["users"][role])
        assert client.get(url(office)).status_code == 403
        assert client.get(url(office, f"{link.pk}/")).status_code == 403


@pytest.mark.parametrize(
    ("route", "role"),
    [
        ("create", "owner"),
        ("create", "accountant"),
        ("create", "sharer"),
        ("revoke", "admin"),
        ("revoke", "sharer"),
        ("policy", "owner"),
        ("policy", "admin"),
    ],
)
def test_an_allowed_role_succeeds(office, route, role):
    link, _token = make_link(office)
    response = request_route(client_for(office["users"][role]), office, route, link)
    assert response.status_code in {200, 302}
    if route == "create":
        assert ShareLink.objects.count() == 2
    elif route == "revoke":
        link.refresh_from_db()
        assert link.revoked_at is not None
    else:
        assert SharePolicy.objects.get().require_password is True


def test_every_sharer_sees_the_links_of_others(office):
    newcomer = person("nouveau@alpha.test")
    Membership.objects.create(dossier=office["dossier"], user=newcomer, role="admin")
    link, _token = make_link(office)
    html = client_for(newcomer).get(url(office)).content.decode()
    assert f'id="link-{link.pk}"' in html
    assert str(LinkState.ACTIVE.label) in html
    assert "owner@alpha.test" in html or office["users"]["owner"].display_name in html


def test_every_link_page_is_strict(office, django_capture_on_commit_callbacks):
    from .test_public import assert_strict_html

    link, _token = make_link(office, message="Un <script>alert(1)</script> message")
    client = client_for(office["users"]["owner"])
    slug = office["dossier"].slug
    pages = [
        url(office),
        url(office, f"{link.pk}/"),
        url(office, f"new/?documents={office['documents']['releve'].pk}"),
        url(office, "new/"),
        f"/d/{slug}/settings/sharing/",
    ]
    for address in pages:
        response = client.get(address)
        assert response.status_code == 200, address
        assert "no-store" in response["Cache-Control"]
        assert_strict_html(response)
    created = client.post(url(office, "new/"), create_form(office))
    assert_strict_html(created)
    assert "no-store" in created["Cache-Control"]
