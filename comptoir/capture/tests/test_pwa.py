"""The installable app's pieces as served: manifest, service worker, offline page, icons."""

from __future__ import annotations

import json

import pytest
from django.contrib.staticfiles import finders
from PIL import Image

from comptoir.core.tests.test_security_headers import assert_strict_page

pytestmark = pytest.mark.django_db


def test_the_manifest_has_what_installing_needs(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Comptoir"
    assert manifest["short_name"] == "Comptoir"
    assert manifest["lang"] == "fr"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"].startswith("/")
    assert manifest["scope"] == "/"
    assert manifest["theme_color"].startswith("#")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("comptoir/icons/icon-192.png", 192),
        ("comptoir/icons/icon-512.png", 512),
        ("comptoir/icons/icon-maskable-192.png", 192),
        ("comptoir/icons/icon-maskable-512.png", 512),
    ],
)
def test_the_icons_are_png_files_of_their_size(name, size):
    path = finders.find(name)
    assert isinstance(path, str)
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (size, size)


def test_the_service_worker_is_served_at_the_root_as_a_script(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    body = response.content.decode()
    assert '"offlineUrl": "/offline/"' in body
    assert "importScripts(CONFIG.store)" in body


def test_the_offline_page_is_strict_and_names_nobody(client, django_user_model):
    response = client.get("/offline/")
    assert_strict_page(response)
    assert "csrfmiddlewaretoken" not in response.text


def test_every_page_links_the_manifest_and_the_worker_script(client):
    html = client.get("/accounts/login/").text
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert "comptoir/pwa.js" in html
