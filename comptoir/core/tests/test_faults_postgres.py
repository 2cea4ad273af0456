"""PostgreSQL restarted while requests run, against a private throwaway cluster (never the
machine's): during the outage pages fail cleanly (no traceback), then succeed again, and
nothing committed before is lost. Marked `faults`; needs PostgreSQL's server binaries and
root (the cluster runs as the `postgres` user), else skipped."""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from comptoir.testing.live import counts, get, prepared, serve, stop
from comptoir.testing.processes import free_port

pytestmark = pytest.mark.faults


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


def as_postgres(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


@pytest.fixture
def cluster() -> Iterator[dict[str, str]]:
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if initdb is None or pg_ctl is None or os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.skip("needs PostgreSQL's server binaries and root to run a private cluster")
    root = Path(tempfile.mkdtemp(prefix="comptoir-pg-"))
    shutil.chown(root, "postgres")
    data = root / "data"
    port = str(free_port())
    made = as_postgres(initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    if made.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"initdb refused: {made.stderr.strip()}")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    control = {
        "pg_ctl": pg_ctl,
        "data": str(data),
        "options": options,
        "port": port,
        "log": str(root / "server.log"),  # the server must not inherit our pipes
    }
    try:
        start(control)
        yield control
    finally:
        as_postgres(pg_ctl, "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def start(control: dict[str, str]) -> None:
    started = as_postgres(
        control["pg_ctl"],
        "-D",
        control["data"],
        "-l",
        control["log"],
        "-o",
        control["options"],
        "-w",
        "start",
    )
    assert started.returncode == 0, started.stdout + started.stderr


def halt(control: dict[str, str]) -> None:
    stopped = as_postgres(control["pg_ctl"], "-D", control["data"], "-m", "fast", "-w", "stop")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr


@pytest.mark.skip(
    reason="hung once in a loaded CI run (a request after the stop timed out at 60 s) while "
    "it passes alone; skipped until the hang is understood (issue 17's note)"
)
def test_a_database_restart_fails_cleanly_then_serves_again(cluster, tmp_path):
    env = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{cluster['port']}/postgres"}
    data_dir = tmp_path / "data"
    seeded = prepared(data_dir, env)
    process, port = serve(data_dir, env)
    documents_page = f"/d/{seeded['slug']}/documents/"
    document_id, expected = next(iter(seeded["documents"].items()))
    try:
        assert get(port, seeded, documents_page)[0] == 200
        halt(cluster)
        for _ in range(3):
            status, body = get(port, seeded, documents_page)
            assert status >= 500
            assert b"Traceback" not in body
            assert b"psycopg" not in body
        start(cluster)
        status, body = get(port, seeded, documents_page)
        assert status == 200
        assert "ticket.png" in body.decode()
        status, body = get(port, seeded, f"/d/{seeded['slug']}/documents/{document_id}/download/")
        assert (status, hashlib.sha256(body).hexdigest()) == (200, expected)
    finally:
        stop(process)
    # Everything committed before the outage is there.
    assert counts(data_dir, env) == (2, 3)
