"""`comptoir demo`: migrate, load the demo data once, serve with a background worker.

The web server and the worker are the production ones (gunicorn, db_worker), run as two
child processes; Ctrl-C (or SIGTERM) stops both and exits 0. DEBUG stays off (error pages,
never a traceback) unless `--debug`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from comptoir.core.management.commands.serve import gunicorn_argv
from comptoir.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_load

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def url_host(host: str, *, for_display: bool = False) -> str:
    """The host part of a URL that reaches a server listening on `host`."""
    if host in {"0.0.0.0", "127.0.0.1", "localhost"}:  # noqa: S104
        return "localhost" if for_display else "127.0.0.1"
    if host in {"::", "::1", "[::1]"}:
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class Command(BaseCommand):
    help = "Run the Comptoir demo on the embedded database (SQLite in COMPTOIR_DATA_DIR)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--debug",
            action="store_true",
            help="DEBUG on: tracebacks and the URL list in the browser (this machine only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(settings.LANGUAGE_CODE)
        host: str = options["host"]
        port: int = options["port"]
        if not port_is_free(host, port):
            raise CommandError(
                _(
                    "Le port %(port)s est déjà utilisé sur %(host)s : choisissez-en un autre "
                    "avec --port."
                )
                % {"port": port, "host": host}
            )

        self.stdout.write(_("Données : %(path)s") % {"path": settings.DATA_DIR})
        call_command("migrate", interactive=False, verbosity=0)
        if demo_load():
            self.stdout.write(_("Données de démonstration chargées."))
        else:
            self.stdout.write(_("Données de démonstration déjà présentes : conservées."))

        env = os.environ.copy()
        env["COMPTOIR_DEMO"] = "1"
        env["COMPTOIR_DATA_DIR"] = str(settings.DATA_DIR)
        # DEBUG is off unless asked for: a phone on the network must never see a traceback.
        env["DEBUG"] = "1" if options["debug"] else "0"
        env.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
        if "ALLOWED_HOSTS" not in env:
            hosts = ["localhost", "127.0.0.1", "[::1]"]
            if host not in LOOPBACK:
                # Listening on another address means the person wants to reach it from
                # there (a phone on the same network): accept any Host in that case.
                hosts = ["*"]
            env["ALLOWED_HOSTS"] = ",".join(hosts)

        web_argv = gunicorn_argv(host=host, port=port, workers=options["workers"], threads=4)
        worker_argv = [sys.executable, "-m", "comptoir.cli", "worker", "--interval", "0.5"]
        children = [
            subprocess.Popen(web_argv, env=env, start_new_session=True),
            subprocess.Popen(worker_argv, env=env, start_new_session=True),
        ]

        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)

        url = f"http://{url_host(host, for_display=True)}:{port}/"
        if self._wait_until_up(f"http://{url_host(host)}:{port}/healthz", children):
            self._print_banner(url)
        else:
            stopping = True

        exit_code = 0
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    self.stderr.write(
                        _("Un processus du démo s'est arrêté (code %(code)s).")
                        % {"code": child.returncode}
                    )
                    stopping = True
                    exit_code = 1
            time.sleep(0.2)

        self.stdout.write(_("Arrêt…"))
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.stdout.write(_("Comptoir est arrêté."))
        if exit_code:
            sys.exit(exit_code)

    def _wait_until_up(self, health_url: str, children: list[subprocess.Popen[bytes]]) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(child.poll() is not None for child in children):
                return False
            try:
                with urllib.request.urlopen(health_url, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        return False

    def _print_banner(self, url: str) -> None:
        lines = [
            "",
            _("Comptoir (démo) est prêt : %(url)s") % {"url": url},
            "",
            _("Comptes de démonstration (mot de passe pour tous : %(password)s) :")
            % {"password": DEMO_PASSWORD},
        ]
        width = max(len(login.email) for login in DEMO_LOGINS)
        lines += [f"  {login.email.ljust(width)}  {login.role}" for login in DEMO_LOGINS]
        lines += [
            "",
            _("E-mails envoyés : %(url)soutbox/ (compte opérateur)") % {"url": url},
            _("Ctrl-C pour arrêter."),
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
