"""After login: accountants' board; others the last dossier used, unless access was lost;
`next` wins."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from comptoir.accounts.actions import user_remember_dossier
from comptoir.accounts.models import User
from comptoir.accounts.tests.factories import PASSWORD, UserFactory
from comptoir.audit.actions import Actor
from comptoir.dossiers.actions import dossier_create, firm_create
from comptoir.dossiers.models import Dossier, FirmAccess, Membership

pytestmark = pytest.mark.django_db


def login(client, user, **params):
    url = reverse("account_login")
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params)
    return client.post(url, {"login": user.email, "password": PASSWORD})


def dossier_of(owner, name="Atelier Multi", siren="732829320") -> Dossier:
    return dossier_create(actor=Actor(user=owner), name=name, siren=siren)


def test_the_last_dossier_opens_after_login(client):
    user = UserFactory()
    dossier = dossier_of(user)
    user_remember_dossier(user=user, dossier=dossier)
    response = login(client, user)
    assert response.status_code == 302
    assert response["Location"] == f"/d/{dossier.slug}/"


def test_without_a_last_dossier_the_home_opens(client):
    response = login(client, UserFactory())
    assert response["Location"] == "/"


def test_an_explicit_next_wins(client):
    user = UserFactory()
    user_remember_dossier(user=user, dossier=dossier_of(user))
    response = login(client, user, next="/dossiers/")
    assert response["Location"] == "/dossiers/"


def test_lost_access_opens_the_home(client):
    owner, user = UserFactory(), UserFactory()
    dossier = dossier_of(owner)
    Membership.objects.create(dossier=dossier, user=user, role="user")
    user_remember_dossier(user=user, dossier=dossier)
    Membership.objects.filter(dossier=dossier, user=user).delete()
    response = login(client, user)
    assert response["Location"] == "/"


def test_accountants_land_on_their_board_whatever_dossier_they_used_last(client):
    owner, staff, member = UserFactory(), UserFactory(), UserFactory()
    dossier = dossier_of(owner)
    firm = firm_create(actor=Actor(user=staff), name="Cabinet Martin")
    FirmAccess.objects.create(dossier=dossier, firm=firm)
    user_remember_dossier(user=staff, dossier=dossier)
    assert login(client, staff)["Location"] == "/comptable/"
    client.logout()
    # A Comptable member of a dossier (no firm) is an accountant too.
    Membership.objects.create(dossier=dossier, user=member, role="accountant")
    user_remember_dossier(user=member, dossier=dossier)
    assert login(client, member)["Location"] == "/comptable/"
    client.logout()
    # `next` still wins.
    assert login(client, staff, next=f"/d/{dossier.slug}/")["Location"] == f"/d/{dossier.slug}/"


def test_a_deleted_dossier_opens_the_home(client):
    user = UserFactory()
    dossier = dossier_of(user)
    user_remember_dossier(user=user, dossier=dossier)
    Dossier.objects.filter(pk=dossier.pk).update(deleted_at=timezone.now())
    assert login(client, user)["Location"] == "/"


def test_remembering_writes_only_when_the_dossier_changes(django_assert_num_queries):
    user = UserFactory()
    first, second = dossier_of(user), dossier_of(user, name="Studio Multi", siren="812345676")
    with django_assert_num_queries(1):
        user_remember_dossier(user=user, dossier=first)
    with django_assert_num_queries(0):
        user_remember_dossier(user=user, dossier=first)
    assert User.objects.get(pk=user.pk).last_dossier == first
    with django_assert_num_queries(1):
        user_remember_dossier(user=user, dossier=second)
    assert User.objects.get(pk=user.pk).last_dossier == second


def test_a_hard_deleted_dossier_is_forgotten():
    user = UserFactory()
    # Without dossier_create: its audit event protects the dossier from a hard delete.
    dossier = Dossier.objects.create(name="Éphémère", slug="ephemere", siren="732829320")
    user_remember_dossier(user=user, dossier=dossier)
    dossier.delete()
    assert User.objects.get(pk=user.pk).last_dossier is None
