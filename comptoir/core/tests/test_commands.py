"""The `comptoir` command: demo, serve and worker, run for real in subprocesses."""

import signal
import socket
import subprocess
import urllib.error
import urllib.request

import pytest
from django.core.management import call_command
from django.tasks import task

from comptoir.core.management.commands.serve import gunicorn_argv
from comptoir.core.models import InstanceMarker
from comptoir.testing.processes import comptoir_run, comptoir_start, free_port, wait_for_http


def stop(process: subprocess.Popen[str], sig: int = signal.SIGINT) -> str:
    process.send_signal(sig)
    output, _ = process.communicate(timeout=30)
    return output


def test_cli_lists_the_comptoir_commands(tmp_path):
    result = comptoir_run("help", data_dir=tmp_path)
    assert result.returncode == 0
    for name in ("demo", "serve", "worker", "migrate", "createsuperuser"):
        assert name in result.stdout


def test_demo_serves_and_a_restart_keeps_what_the_user_changed(tmp_path):
    port = free_port()
    demo = comptoir_start("demo", "--port", str(port), data_dir=tmp_path)
    wait_for_http(f"http://127.0.0.1:{port}/healthz", demo)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as page:
        assert page.status == 200
        html = page.read().decode()
        assert '<html lang="fr">' in html
    # DEBUG is off: static files are still served, errors are the site's pages.
    assert 'href="/static/comptoir/comptoir.css"' in html
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/comptoir/comptoir.css") as page:
        assert page.status == 200
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/nowhere/")
    assert missing.value.code == 404
    not_found = missing.value.read().decode()
    assert "Page introuvable" in not_found
    assert "URLconf" not in not_found
    output = stop(demo)
    assert demo.returncode == 0, output
    assert f"http://localhost:{port}/" in output
    assert "gerant@alwaysclean.test" in output
    assert "comptoir-demo-2026" in output
    assert (tmp_path / "comptoir.sqlite3").exists()
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    journal_mode = comptoir_run(
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])",
        data_dir=tmp_path,
    )
    assert journal_mode.stdout.split()[-1] == "wal"

    # What the person changed survives a restart: the demo data is not loaded again.
    changed = comptoir_run(
        "shell",
        "-c",
        "from comptoir.accounts.models import User; "
        "User.objects.filter(email='gerant@alwaysclean.test').update(first_name='Modifiée')",
        data_dir=tmp_path,
    )
    assert changed.returncode == 0, changed.stderr
    again = comptoir_start("demo", "--port", str(port), "--debug", data_dir=tmp_path)
    wait_for_http(f"http://127.0.0.1:{port}/healthz", again)
    with pytest.raises(urllib.error.HTTPError) as debug_missing:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/nowhere/")
    assert "URLconf" in debug_missing.value.read().decode()  # --debug: Django's debug page
    output = stop(again, signal.SIGTERM)
    assert again.returncode == 0, output
    assert "déjà présentes" in output
    name = comptoir_run(
        "shell",
        "-c",
        "from comptoir.accounts.models import User; "
        "print(User.objects.get(email='gerant@alwaysclean.test').first_name)",
        data_dir=tmp_path,
    )
    assert name.stdout.split()[-1] == "Modifiée"


def test_demo_on_a_busy_port_says_so(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = comptoir_run("demo", "--port", str(port), data_dir=tmp_path, timeout=60)
    assert result.returncode != 0
    assert f"Le port {port} est déjà utilisé" in result.stderr


def test_serve_runs_production_settings_with_static_files(tmp_path):
    port = free_port()
    server = comptoir_start(
        "serve",
        "--port",
        str(port),
        "--workers",
        "1",
        "--migrate",
        data_dir=tmp_path,
        env={"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "127.0.0.1", "HTTPS": "false"},
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", server)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as page:
            html = page.read().decode()
        # Manifest storage: hashed static names, served by whitenoise with far-future caching.
        assert "/static/comptoir/comptoir." in html
        css_path = html.split('href="/static/comptoir/comptoir.')[1].split('"')[0]
        assert css_path.count(".") == 1  # comptoir.<hash>.css
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/comptoir/comptoir.{css_path}"
        ) as css:
            assert css.status == 200
            assert "immutable" in css.headers["Cache-Control"]
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_gunicorn_argv_uses_the_requested_workers():
    argv = gunicorn_argv(host="0.0.0.0", port=9000, workers=5, threads=3)  # noqa: S104
    assert argv[argv.index("--workers") + 1] == "5"
    assert argv[argv.index("--threads") + 1] == "3"
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:9000"


@task()
def mark_instance(key: str) -> None:
    InstanceMarker.objects.create(key=key)


# The worker closes its database connection between tasks, as it should in production;
# only a transactional test database survives that.
@pytest.mark.django_db(transaction=True)
def test_worker_runs_queued_tasks():
    mark_instance.enqueue(key="queued-by-test")
    assert not InstanceMarker.objects.filter(key="queued-by-test").exists()
    call_command("worker", "--batch")
    assert InstanceMarker.objects.filter(key="queued-by-test").exists()
