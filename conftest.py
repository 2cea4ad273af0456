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
def _test_anchors(settings, tmp_path):
    # The audit anchors file is read by every `audit-verify`: one per test, never shared.
    settings.AUDIT_ANCHORS_DIR = tmp_path / "anchors"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Tests create and log in hundreds of users; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _audit_log_flushable():
    # After a transactional test, Django empties every table. On SQLite that is a DELETE,
    # which the audit log's trigger refuses (migration audit/0003): let the flushing
    # connection through, for the flush only. PostgreSQL flushes with TRUNCATE, which row
    # triggers do not see.
    from django.db import connection

    from comptoir.audit.chain import append_only_suspended

    if connection.vendor != "sqlite":
        yield
        return
    operations = type(connection.ops)
    flush = operations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with append_only_suspended(self.connection):
            flush(self, sql_list)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(operations, "execute_sql_flush", execute_sql_flush)
        yield
