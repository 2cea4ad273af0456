"""Test-wide fixtures (the environment is set earlier, in comptoir/testing/environment.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _test_storages(settings, tmp_path):
    # Production uses the manifest storage, which needs `collectstatic`; tests render
    # templates without collecting. Each test gets its own media folder, so a test can
    # assert which files exist.
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = str(media)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Tests create and log in hundreds of users; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
