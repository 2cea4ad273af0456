import pytest
from django.urls import reverse

from comptoir.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_login_by_email_and_password(client):
    user = UserFactory(email="gerante@exemple.test")
    response = login(client, "Gerante@Exemple.test", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert client.get("/").context["user"] == user


def test_unknown_account_and_wrong_password_get_the_same_message(client):
    UserFactory(email="gerante@exemple.test")
    wrong = login(client, "gerante@exemple.test", "pas-le-bon")
    unknown = login(client, "personne@exemple.test", "pas-le-bon")
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert wrong.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_are_throttled_even_with_the_right_password(client):
    UserFactory(email="cible@exemple.test")
    for _attempt in range(5):
        login(client, "cible@exemple.test", "essai")
    response = login(client, "cible@exemple.test", PASSWORD)
    assert "_auth_user_id" not in client.session
    assert response.status_code in {200, 429}


def test_logout_is_post_only(client):
    client.force_login(UserFactory())
    client.get(reverse("account_logout"))
    assert "_auth_user_id" in client.session
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_user_manager_requires_an_email():
    from comptoir.accounts.models import User

    with pytest.raises(ValueError, match="email"):
        User.objects.create_user(email="", password="x")
