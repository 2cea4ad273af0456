"""Strict CSP with no inline script or style anywhere, and the other security headers."""

import re

import pytest
from django.urls import reverse

from comptoir.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(
    r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>', re.IGNORECASE
)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)

ANONYMOUS_PAGES = ["account_login", "account_signup", "account_reset_password"]
USER_PAGES = ["core:home", "account_change_password", "account_email"]
STAFF_PAGES = ["core:outbox_list"]


def assert_strict_page(response):
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "geolocation=()" in response["Permissions-Policy"]
    html = response.text
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not INLINE_STYLE.search(html), INLINE_STYLE.search(html)
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html)


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_anonymous_pages_are_strict(client, name):
    assert_strict_page(client.get(reverse(name)))


@pytest.mark.parametrize("name", USER_PAGES)
def test_user_pages_are_strict(client, name):
    client.force_login(UserFactory())
    assert_strict_page(client.get(reverse(name)))


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_are_strict(client, name):
    client.force_login(UserFactory(is_staff=True))
    assert_strict_page(client.get(reverse(name)))


def test_htmx_is_served_from_our_own_static_files(client):
    html = client.get(reverse("account_login")).text
    assert 'src="/static/vendor/htmx.min.js"' in html
    assert "unpkg" not in html
    assert "cdn" not in html.lower()
