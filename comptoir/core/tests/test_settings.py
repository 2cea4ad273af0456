"""Settings come from the environment with safe defaults (checked in fresh processes)."""

import json
import secrets

from comptoir.testing.processes import comptoir_run

PRINT = (
    "from django.conf import settings as s; import json; "
    "print(json.dumps({{k: str(v) for k, v in {}.items()}}))"
)


def read_settings(tmp_path, env, expressions):
    code = PRINT.format("{" + ", ".join(f"{k!r}: {v}" for k, v in expressions.items()) + "}")
    result = comptoir_run("shell", "-c", code, data_dir=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_are_safe(tmp_path):
    values = read_settings(
        tmp_path,
        {},
        {
            "debug": "s.DEBUG",
            "hosts": "s.ALLOWED_HOSTS",
            "engine": "s.DATABASES['default']['ENGINE']",
            "mailer": "s.MAILERS['default']['BACKEND']",
            "storage": "s.STORAGES['default']['BACKEND']",
            "ssl": "s.SECURE_SSL_REDIRECT",
            "cookie": "s.SESSION_COOKIE_SECURE",
        },
    )
    assert values == {
        "debug": "False",
        "hosts": "[]",
        "engine": "django.db.backends.sqlite3",
        "mailer": "comptoir.core.mail.OutboxEmailBackend",
        "storage": "django.core.files.storage.FileSystemStorage",
        "ssl": "True",
        "cookie": "True",
    }


def test_secret_key_is_generated_once_into_the_data_folder(tmp_path):
    first = read_settings(tmp_path, {}, {"key": "s.SECRET_KEY"})["key"]
    second = read_settings(tmp_path, {}, {"key": "s.SECRET_KEY"})["key"]
    assert first == second
    assert len(first) >= 50
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    from_env = read_settings(tmp_path, {"SECRET_KEY": "k" * 60}, {"key": "s.SECRET_KEY"})
    assert from_env["key"] == "k" * 60


def test_services_are_configured_from_urls(tmp_path):
    values = read_settings(
        tmp_path,
        {
            "DATABASE_URL": "postgres://app:pw@db.internal:5433/comptoir",
            "EMAIL_URL": "smtp://mailer:secret@smtp.internal:587/?tls=True",
            "REDIS_URL": "redis://127.0.0.1:6379/2",
            "S3_BUCKET": "cabinet-docs",
            "S3_ENDPOINT_URL": "https://s3.internal",
            "TASK_BACKEND": "immediate",
            "ALLOWED_HOSTS": "portail.cabinet.fr, www.cabinet.fr",
        },
        {
            "db": "[s.DATABASES['default'][k] for k in ('ENGINE', 'HOST', 'PORT', 'NAME')]",
            "mail": "s.MAILERS['default']",
            "cache": "s.CACHES['default']['BACKEND']",
            "storage": "s.STORAGES['default']",
            "tasks": "s.TASKS['default']['BACKEND']",
            "hosts": "s.ALLOWED_HOSTS",
        },
    )
    assert values["db"] == "['django.db.backends.postgresql', 'db.internal', 5433, 'comptoir']"
    assert "'host': 'smtp.internal'" in values["mail"]
    assert "'use_tls': True" in values["mail"]
    assert "'username': 'mailer'" in values["mail"]
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert "storages.backends.s3.S3Storage" in values["storage"]
    assert "'bucket_name': 'cabinet-docs'" in values["storage"]
    assert values["tasks"] == "django.tasks.backends.immediate.ImmediateBackend"
    assert values["hosts"] == "['portail.cabinet.fr', 'www.cabinet.fr']"


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = comptoir_run(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        data_dir=tmp_path,
        env={"SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "portail.cabinet.fr"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_demo_mode_keeps_debug_off_and_serves_loopback_over_http(tmp_path):
    values = read_settings(
        tmp_path,
        {"COMPTOIR_DEMO": "1"},
        {
            "debug": "s.DEBUG",
            "hosts": "s.ALLOWED_HOSTS",
            "ssl": "s.SECURE_SSL_REDIRECT",
            "static": "s.STORAGES['staticfiles']['BACKEND']",
            "finders": "s.WHITENOISE_USE_FINDERS",
        },
    )
    assert values == {
        "debug": "False",
        "hosts": "['localhost', '127.0.0.1', '[::1]']",
        "ssl": "False",
        "static": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "finders": "True",
    }
    opted_in = read_settings(tmp_path, {"COMPTOIR_DEMO": "1", "DEBUG": "1"}, {"d": "s.DEBUG"})
    assert opted_in == {"d": "True"}
