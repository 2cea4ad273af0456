"""400, 403, 404 and 500 answer in the site's layout and the person's language, no details."""

import pytest
from django.test import Client

from comptoir.accounts.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("comptoir.core.tests.error_urls")]

PAGES = {
    "/test-errors/400/": (400, "Requête incorrecte", "Bad request"),
    "/test-errors/403/": (403, "Accès refusé", "Access denied"),
    "/nowhere/": (404, "Page introuvable", "Page not found"),
    "/test-errors/500/": (500, "Erreur du serveur", "Server error"),
}


@pytest.mark.parametrize("url", PAGES)
def test_error_pages_use_the_layout_in_french(url):
    client = Client(raise_request_exception=False)
    user = UserFactory(first_name="Camille", language="fr")
    client.force_login(user)
    response = client.get(url)
    status, french, _english = PAGES[url]
    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert f'<h1 id="error-title">{french}</h1>' in html
    assert 'class="topbar"' in html
    assert "Retour à l'accueil" in html
    assert "user-menu" in html  # the account menu: the person is still signed in
    assert "secret detail" not in html
    assert "Traceback" not in html


@pytest.mark.parametrize("url", PAGES)
def test_error_pages_speak_the_persons_language(url):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(language="en"))
    response = client.get(url)
    status, _french, english = PAGES[url]
    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert english in html


def test_not_found_for_anonymous_people_has_the_layout():
    response = Client().get("/nowhere/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
    assert "user-menu" not in response.content.decode()


def test_server_error_falls_back_to_the_bare_page_when_the_layout_fails(monkeypatch):
    from comptoir.core import context_processors

    def broken(request):
        raise RuntimeError("database down")

    monkeypatch.setattr(context_processors, "comptoir", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/500/")
    assert response.status_code == 500
    assert "Erreur du serveur" in response.content.decode()
