"""The client's address behind a reverse proxy: X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from comptoir.accounts.tests.factories import PASSWORD, UserFactory
from comptoir.audit.models import AuditEvent
from comptoir.core.clientip import client_ip

PROXY = "127.0.0.1"  # nginx on the same machine: every request arrives from it


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # allauth's counters live in the shared cache; the test client's address is PROXY.
    cache.clear()
    yield
    cache.clear()


def request_from(remote: str, forwarded: str | None = None):
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUST_PROXY_HEADERS = False
    assert client_ip(request_from("198.51.100.7", "203.0.113.5")) == "198.51.100.7"
    assert client_ip(request_from("198.51.100.7")) == "198.51.100.7"
    assert client_ip(request_from("not an address")) is None


def test_behind_one_proxy_the_address_it_appended_is_the_client(settings):
    settings.TRUST_PROXY_HEADERS = True
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from(PROXY, "203.0.113.5")) == "203.0.113.5"
    # A client that writes the header itself: nginx appends the real address after it.
    assert client_ip(request_from(PROXY, "10.0.0.1, 192.0.2.99, 203.0.113.5")) == "203.0.113.5"
    assert client_ip(request_from(PROXY, " 2001:DB8::1 ")) == "2001:db8::1"
    # No header (not through the proxy) or rubbish: the connection's address.
    assert client_ip(request_from(PROXY)) == PROXY
    assert client_ip(request_from(PROXY, "")) == PROXY
    assert client_ip(request_from(PROXY, "unknown")) == PROXY


def test_behind_two_proxies_the_right_most_address_not_theirs_is_the_client(settings):
    settings.TRUST_PROXY_HEADERS = True
    settings.TRUSTED_PROXY_COUNT = 2
    # forged by the client, the client (seen by the first proxy), the first proxy
    forwarded = "192.0.2.99, 203.0.113.5, 10.1.2.3"
    assert client_ip(request_from(PROXY, forwarded)) == "203.0.113.5"
    # Fewer addresses than proxies: the request did not come through both.
    assert client_ip(request_from(PROXY, "203.0.113.5")) == PROXY


def login_from(client_address: str | None, email: str, password: str, forged: str = ""):
    """A login POST as nginx forwards it: from the proxy, the client's address appended."""
    forwarded = ", ".join(part for part in (forged, client_address) if part)
    client = Client(REMOTE_ADDR=PROXY)
    if forwarded:
        client.defaults["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("account_login"), {"login": email, "password": password})


def throttled(response) -> bool:
    # allauth answers a rate-limited login with a form error on the login page.
    return response.status_code == 429 or "Trop de tentatives de connexion" in (
        response.content.decode()
    )


@pytest.mark.django_db
def test_behind_the_proxy_the_log_and_the_login_rate_limit_see_each_client(settings):
    settings.TRUST_PROXY_HEADERS = True
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(email="cliente@exemple.test")
    attacker = "198.51.100.66"
    # Ten wrong passwords (different accounts: the per-account limit is not the point),
    # each with a different forged header: the forged part is never read.
    for n in range(10):
        response = login_from(attacker, f"cible{n}@exemple.test", "essai", forged=f"10.9.9.{n}")
        assert response.status_code == 200, n
        assert not throttled(response), n
    assert throttled(login_from(attacker, "cible@exemple.test", PASSWORD))
    # Everyone else behind the same proxy still logs in.
    assert login_from("203.0.113.5", "cliente@exemple.test", PASSWORD).status_code == 302
    failed = AuditEvent.objects.filter(action="account.login_failed")
    assert set(failed.values_list("ip", flat=True)) == {attacker}
    logged_in = AuditEvent.objects.get(action="account.logged_in")
    assert logged_in.ip == "203.0.113.5"


@pytest.mark.django_db
def test_without_trusted_proxies_a_forged_header_changes_nothing(settings):
    settings.TRUST_PROXY_HEADERS = False
    UserFactory(email="cliente@exemple.test")
    for n in range(10):
        login_from(f"192.0.2.{n}", f"cible{n}@exemple.test", "essai")
    # Every request came from the one address that connected: the header is not trusted.
    assert throttled(login_from("203.0.113.5", "cliente@exemple.test", PASSWORD))
    failed = AuditEvent.objects.filter(action="account.login_failed")
    assert set(failed.values_list("ip", flat=True)) == {PROXY}
