"""Ranger les documents: the share target's page and the destinations of a dossier."""

from __future__ import annotations

import json

from django.test import Client

from comptoir.core.tests.test_security_headers import assert_strict_page

from .conftest import client_for, make_task


def test_the_manifest_declares_a_share_target_for_any_file(office):
    manifest = json.loads(client_for().get("/manifest.webmanifest").content)
    target = manifest["share_target"]
    assert (target["action"], target["method"], target["enctype"]) == (
        "/share/",
        "POST",
        "multipart/form-data",
    )
    (files,) = target["params"]["files"]
    assert files["name"] == "files"
    assert "*/*" in files["accept"]


def test_the_page_offers_the_dossiers_where_i_may_upload_the_last_used_first(office):
    owner = office["users"]["owner"]
    owner.last_dossier = office["dossier"]
    owner.save(update_fields=["last_dossier"])
    response = client_for(owner).get("/share/")
    assert_strict_page(response)
    html = response.text
    assert f'value="{office["dossier"].slug}"' in html
    slug = office["dossier"].slug
    assert f'data-url="/d/{slug}/share/destinations/" selected' in html
    assert office["other_dossier"].slug not in html


def test_the_page_links_to_the_scanner_of_the_preselected_dossier(office):
    owner = office["users"]["owner"]
    owner.last_dossier = office["dossier"]
    owner.save(update_fields=["last_dossier"])
    html = client_for(owner).get("/share/").text
    slug = office["dossier"].slug
    assert f'data-share-scan href="/d/{slug}/scan/"' in html
    assert f'value="{slug}" data-scan="/d/{slug}/scan/"' in html


def test_a_read_only_member_is_offered_no_dossier(office):
    html = client_for(office["users"]["readonly"]).get("/share/").text
    assert f'value="{office["dossier"].slug}"' not in html
    assert "aucun dossier" in html
    assert "data-share-scan" not in html


def test_a_signed_out_person_logs_in_first_and_comes_back(office):
    response = Client().get("/share/?batch=abc")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/share/")


def test_a_share_post_without_the_worker_reads_nothing_and_says_so(office):
    client = Client(enforce_csrf_checks=True)
    client.force_login(office["users"]["owner"])
    response = client.post("/share/", {"title": "x"})
    assert response.status_code == 302
    assert response["Location"] == "/share/?unreceived=1"
    assert "partagez-les à nouveau" in client.get(response["Location"]).text


def test_destinations_are_my_classeurs_and_the_open_steps_addressed_to_me(office):
    task = make_task(office, to=("owner",))
    make_task(office, title="Pour quelqu'un d'autre", to=("user",))
    data = (
        client_for(office["users"]["owner"])
        .get(f"/d/{office['dossier'].slug}/share/destinations/")
        .json()
    )
    labels = [f["label"] for f in data["folders"]]
    assert "Comptabilité" in labels
    assert data["folders"][0]["folder"] == ""  # the root
    assert [s["task"] for s in data["steps"]] == [task.pk] * task.steps.count()
    assert data["tus"] == f"/d/{office['dossier'].slug}/tus/"


def test_destinations_of_another_dossier_are_404(office):
    client = client_for(office["outsider"])
    assert client.get(f"/d/{office['dossier'].slug}/share/destinations/").status_code == 404
