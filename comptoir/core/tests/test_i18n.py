import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from comptoir.accounts.tests.factories import UserFactory
from comptoir.testing.po import po_entries

pytestmark = pytest.mark.django_db

EN_PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_french_by_default_whatever_the_browser_says(client):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.text
    assert "Se connecter" in response.text or "Connexion" in response.text


def test_choosing_english_sets_the_cookie_and_sticks(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    page = client.get(reverse("account_login"))
    assert page["Content-Language"] == "en"
    assert "Sign In" in page.text
    assert "Skip to content" in page.text


def test_the_choice_is_remembered_on_the_account(client):
    user = UserFactory(language="fr")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"
    # A new browser (no cookie) gets the account's language once logged in.
    client.cookies.clear()
    client.force_login(user)
    assert client.get("/")["Content-Language"] == "en"


def test_an_unknown_language_changes_nothing(client):
    user = UserFactory(language="fr")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "fr"
    assert client.get("/")["Content-Language"] == "fr"


def test_set_language_refuses_an_offsite_redirect(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_english_catalogue_is_complete_and_compiled():
    entries = po_entries(EN_PO)
    assert len(entries) > 50
    untranslated = [entry.msgid for entry in entries if not entry.msgstr or entry.fuzzy]
    assert untranslated == []
    compiled = gettext.GNUTranslations(EN_PO.with_suffix(".mo").open("rb"))
    stale = [
        entry.msgid
        for entry in entries
        if not entry.plural and compiled.gettext(entry.msgid) != entry.msgstr
    ]
    assert stale == [], "run: comptoir compilemessages -l en"


@pytest.mark.skipif(
    shutil.which("xgettext") is None and os.environ.get("CI") != "true",
    reason="gettext tools are not installed (apt install gettext)",
)
def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """makemessages on a copy of the code finds no msgid the committed catalogue lacks."""
    copy = tmp_path / "comptoir"
    shutil.copytree(settings.BASE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "comptoir.cli",
            "makemessages",
            "-l",
            "en",
            "--no-obsolete",
            "--ignore",
            "tests/*",
            "--ignore",
            "testing/*",
            "--verbosity",
            "0",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = {entry.msgid for entry in po_entries(copy / "locale/en/LC_MESSAGES/django.po")}
    committed = {entry.msgid for entry in po_entries(EN_PO)}
    assert sorted(fresh - committed) == [], "run makemessages -l en and translate"
