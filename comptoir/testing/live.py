"""A real `comptoir serve` on loopback for fault tests: a prepared data folder (migrated,
seeded, a logged-in session), the server in its own process group, plain HTTP calls."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .processes import comptoir_env, comptoir_run, free_port, wait_for_http


def ok(*args: str, data_dir: Path, env: Mapping[str, str] | None = None) -> str:
    result = comptoir_run(*args, data_dir=data_dir, env=env, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def prepared(data_dir: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Migrated, seeded (comptoir.testing.seed), and a logged-in session id."""
    ok("migrate", "-v", "0", data_dir=data_dir, env=env)
    seeded: dict[str, Any] = json.loads(
        ok(
            "shell",
            "-c",
            "from comptoir.testing.seed import seed_print; seed_print()",
            data_dir=data_dir,
            env=env,
        ).splitlines()[-1]
    )
    seeded["session"] = ok(
        "shell",
        "-c",
        "from django.test import Client; from comptoir.accounts.models import User; "
        f"c = Client(); c.force_login(User.objects.get(email={seeded['email']!r})); "
        "print(c.cookies['sessionid'].value)",
        data_dir=data_dir,
        env=env,
    ).split()[-1]
    return seeded


def serve(
    data_dir: Path, env: Mapping[str, str] | None = None, *, workers: int = 1
) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "comptoir.cli", "serve"),
            *("--port", str(port), "--workers", str(workers)),
        ],
        env=comptoir_env(data_dir, {"HTTPS": "false", "ALLOWED_HOSTS": "127.0.0.1", **(env or {})}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: killed whole, gunicorn's workers too
    )
    wait_for_http(f"http://127.0.0.1:{port}/healthz", process, timeout=120)
    return process, port


def stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)


def get(port: int, seeded: Mapping[str, Any], path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(
        "GET", path, headers={"Host": "127.0.0.1", "Cookie": f"sessionid={seeded['session']}"}
    )
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def counts(data_dir: Path, env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """Documents and versions in the instance's database."""
    out = ok(
        "shell",
        "-c",
        "from comptoir.documents.models import Document, DocumentVersion; "
        "print(Document.objects.count(), DocumentVersion.objects.count())",
        data_dir=data_dir,
        env=env,
    )
    documents, versions = out.split()[-2:]
    return int(documents), int(versions)
