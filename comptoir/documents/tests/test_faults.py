"""Faults, against the real server (`comptoir serve`, gunicorn) on loopback: the web
process killed in the middle of a 200 MB upload, and the data folder's disk full.

Marked `faults`; run with the suite on SQLite (their server has its own SQLite data
folder), skipped in the PostgreSQL run. Each step is bounded by a timeout.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from comptoir.testing.live import counts, get, ok, prepared, serve, stop

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the server under test runs on its own SQLite data folder: once is enough",
    ),
]

CSRF = "f" * 32
MIB = 1024 * 1024


def headers(seeded: dict, length: int, boundary: str) -> dict[str, str]:
    return {
        "Host": "127.0.0.1",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(length),
        "Cookie": f"sessionid={seeded['session']}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "Accept": "application/json",
    }


def upload_start(port: int, seeded: dict, size: int) -> tuple[http.client.HTTPConnection, bytes]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="gros.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.putrequest("POST", f"/d/{seeded['slug']}/documents/upload/", skip_host=True)
    for name, value in headers(seeded, len(head) + size + len(tail), boundary).items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(head)
    return connection, tail


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def test_sigkill_in_the_middle_of_a_200_mb_upload_leaves_nothing(tmp_path):
    data_dir = tmp_path / "data"
    seeded = prepared(data_dir)
    before = counts(data_dir)
    stored_before = files_under(data_dir / "media")
    process, port = serve(data_dir)
    try:
        connection, _tail = upload_start(port, seeded, 199 * MIB)
        chunk = os.urandom(MIB)
        for _ in range(100):
            connection.send(chunk)
        temporary = data_dir / "uploads-tmp"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            partial = files_under(temporary)
            if partial and partial[0].stat().st_size > 50 * MIB:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the server did not stream the upload to its temporary file")
        os.killpg(process.pid, signal.SIGKILL)  # mid-upload, no goodbye
        process.wait(timeout=30)
        connection.close()
    finally:
        stop(process, signal.SIGKILL)

    # No document, no row, no stored bytes; only the dead upload's temporary file...
    assert counts(data_dir) == before
    assert files_under(data_dir / "media") == stored_before
    assert len(files_under(data_dir / "uploads-tmp")) == 1
    # ...which the daily sweep removes once it is old enough, keeping every stored file.
    swept = ok(
        "shell",
        "-c",
        "import datetime; from django.utils import timezone; "
        "from comptoir.documents.tasks import orphan_files_remove, upload_temp_files_remove; "
        "later = timezone.now() + datetime.timedelta(days=2); "
        "print(orphan_files_remove(now=later), upload_temp_files_remove(now=later))",
        data_dir=data_dir,
    )
    assert swept.split()[-2:] == ["0", "1"]
    assert files_under(data_dir / "uploads-tmp") == []
    assert files_under(data_dir / "media") == stored_before

    # And the app comes back whole.
    process, port = serve(data_dir)
    try:
        document_id, expected = next(iter(seeded["documents"].items()))
        status, body = get(port, seeded, f"/d/{seeded['slug']}/documents/{document_id}/download/")
        assert (status, hashlib.sha256(body).hexdigest()) == (200, expected)
    finally:
        stop(process)


@pytest.fixture
def small_disk(tmp_path):
    """A 64 MiB tmpfs as the data folder (root only; skipped where mounting is refused)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip() or result.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False, timeout=30)


def test_disk_full_refuses_the_upload_clearly_and_keeps_serving_reads(small_disk):
    data_dir = small_disk
    seeded = prepared(data_dir)
    before = counts(data_dir)
    stored_before = files_under(data_dir / "media")
    process, port = serve(data_dir)
    try:
        # Leave about 8 MiB free, then upload 30 MiB.
        free = shutil.disk_usage(data_dir).free
        filler = data_dir / "filler"
        with filler.open("wb") as handle:
            handle.truncate(0)
        subprocess.run(
            ["fallocate", "-l", str(free - 8 * MIB), str(filler)], check=True, timeout=30
        )
        connection, tail = upload_start(port, seeded, 30 * MIB)
        chunk = os.urandom(MIB)
        for _ in range(30):
            connection.send(chunk)
        connection.send(tail)
        response = connection.getresponse()
        answer = json.loads(response.read())
        connection.close()
        assert response.status == 507
        assert answer["ok"] is False
        assert "n'a plus assez d'espace disque" in answer["error"]

        # Nothing half-written: no temporary file, no stored file, no row.
        assert files_under(data_dir / "uploads-tmp") == []
        assert files_under(data_dir / "media") == stored_before
        # Reads keep working (the disk is still nearly full).
        for document_id, expected in seeded["documents"].items():
            status, body = get(
                port, seeded, f"/d/{seeded['slug']}/documents/{document_id}/download/"
            )
            assert (status, hashlib.sha256(body).hexdigest()) == (200, expected)
        status, page = get(port, seeded, f"/d/{seeded['slug']}/documents/")
        assert status == 200
        assert "ticket.png" in page.decode()
        filler.unlink()
    finally:
        stop(process)
    assert counts(data_dir) == before
