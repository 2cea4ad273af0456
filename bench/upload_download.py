"""Benchmark: a large upload and its download through a share link, on the production server.

    uv run python bench/upload_download.py [--size-mib 1024] [--workers 2]

What it does, in a throwaway folder (removed at the end):
1. writes a file of random bytes (`--size-mib`) and a data folder (SQLite, DEBUG off);
2. migrates, creates a user and a dossier, starts `comptoir serve` (gunicorn) on a free
   loopback port with UPLOAD_MAX_BYTES = twice the file (at least 2 GiB);
3. logs in like a browser and uploads the file to POST /d/<slug>/documents/upload/
   (multipart, streamed from disk by the client in 1 MiB chunks), while the resident memory
   of every gunicorn process is sampled from /proc every 50 ms (and its kernel high-water
   mark, VmHWM, read at the end);
4. times `cp` of the same file on the same disk;
5. creates a share link to the document (comptoir.sharing), opens it like a recipient and
   downloads the file (hashing it on the fly, SHA-256 compared with the original), then the
   same through the signed-in download URL; times `cat file > /dev/null` and a Python read
   with SHA-256 for comparison.

Results go to bench/results/upload_download.json and .md. Standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
MIB = 1024 * 1024
CHUNK = MIB
EMAIL = "bench@comptoir.test"
PASSWORD = "bench-" + secrets.token_urlsafe(12)
SLUG = "bench"
REQUEST_TIMEOUT = 600  # seconds, for one transfer
SAMPLE_EVERY = 0.05

sys.path.insert(0, str(ROOT))
from comptoir.testing.processes import comptoir_env, free_port  # noqa: E402

# --- The server ---------------------------------------------------------------------------


def run_comptoir(*args: str, env: dict[str, str], timeout: float = 300) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "comptoir.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"comptoir {args[0]} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


SETUP = """
import json
from comptoir.accounts.actions import user_create
from comptoir.audit.actions import Actor
from comptoir.dossiers.actions import dossier_create
user = user_create(email={email!r}, password={password!r}, first_name="Banc",
                   last_name="D'essai", email_verified=True)
dossier = dossier_create(actor=Actor(user=user), name="Banc d'essai", slug={slug!r},
                         siren="732829320", address="1 rue du Test\\n69000 Lyon")
print(json.dumps({{"dossier": dossier.pk}}))
"""

LINK = """
import json
from comptoir.accounts.models import User
from comptoir.audit.actions import Actor
from comptoir.documents.models import Document
from comptoir.dossiers.access import dossier_access_for
from comptoir.sharing.actions import share_link_create
user = User.objects.get(email={email!r})
access = dossier_access_for(user, {slug!r})
document = Document.objects.get(pk={document_id})
link, token = share_link_create(actor=Actor(user=user), access=access, documents=[document],
                                recipients=["banque@bench.test"])
print(json.dumps({{"token": token}}))
"""


def last_json_line(output: str) -> dict[str, Any]:
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)  # type: ignore[no-any-return]
    raise RuntimeError(f"no JSON in:\n{output}")


def process_children(pid: int) -> list[int]:
    children: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        match = re.search(r"^PPid:\s+(\d+)", status, re.M)
        if match and int(match.group(1)) == pid:
            children.append(int(entry.name))
    return children


def status_kib(pid: int, key: str) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{key}:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) if match else None


@dataclass
class MemorySampler:
    """Peak resident memory of each gunicorn process while a transfer runs."""

    pids: list[int]
    peaks: dict[int, int] = field(default_factory=dict)
    baseline: dict[int, int] = field(default_factory=dict)
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemorySampler:
        for pid in self.pids:
            self.baseline[pid] = status_kib(pid, "VmRSS") or 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                rss = status_kib(pid, "VmRSS")
                if rss is not None:
                    self.peaks[pid] = max(self.peaks.get(pid, 0), rss)
            self.samples += 1
            self._stop.wait(SAMPLE_EVERY)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def report(self) -> dict[str, Any]:
        return {
            "sampled_every_ms": int(SAMPLE_EVERY * 1000),
            "samples": self.samples,
            "per_process_mib": {
                str(pid): {
                    "rss_before": round(self.baseline.get(pid, 0) / 1024, 1),
                    "rss_peak_sampled": round(self.peaks.get(pid, 0) / 1024, 1),
                    "vm_hwm_after": round((status_kib(pid, "VmHWM") or 0) / 1024, 1),
                }
                for pid in self.pids
            },
            "peak_rss_mib": round(max(self.peaks.values(), default=0) / 1024, 1),
            "peak_growth_mib": round(
                max(
                    (self.peaks.get(pid, 0) - self.baseline.get(pid, 0) for pid in self.pids),
                    default=0,
                )
                / 1024,
                1,
            ),
        }


# --- A small HTTP client (cookies, CSRF, streamed bodies) ---------------------------------


class Client:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.origin = f"http://{host}:{port}"

    def _connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Host": f"{self.host}:{self.port}", "User-Agent": "comptoir-bench/1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def _keep_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers=self._headers(headers))
            response = connection.getresponse()
            data = response.read()
            self._keep_cookies(response)
            return response.status, dict(response.headers.items()), data
        finally:
            connection.close()

    def csrf_from(self, html: bytes) -> str:
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if not match:
            raise RuntimeError("no CSRF token in the page")
        return match.group(1).decode()

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        body = urllib.parse.urlencode(fields).encode()
        return self.request(
            "POST",
            path,
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": self.origin + path,
            },
        )

    def upload(self, path: str, file: Path, name: str) -> tuple[int, bytes, float]:
        """multipart/form-data with the file streamed from disk; returns status, body, seconds."""
        boundary = "----comptoirbench" + secrets.token_hex(12)
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        length = len(head) + file.stat().st_size + len(tail)
        connection = self._connection()
        started = time.perf_counter()
        try:
            connection.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
            headers = self._headers(
                {
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                    "Content-Length": str(length),
                    "Accept": "application/json",
                    "X-CSRFToken": self.cookies.get("csrftoken", ""),
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                }
            )
            for key, value in headers.items():
                connection.putheader(key, value)
            connection.endheaders()
            connection.send(head)
            with file.open("rb") as source:
                while chunk := source.read(CHUNK):
                    connection.send(chunk)
            connection.send(tail)
            response = connection.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - started
            self._keep_cookies(response)
            return response.status, data, elapsed
        finally:
            connection.close()

    def download(
        self, method: str, path: str, fields: dict[str, str] | None = None
    ) -> tuple[int, int, str, float]:
        """Reads the answer in chunks, hashing it: status, bytes, SHA-256, seconds."""
        body = urllib.parse.urlencode(fields).encode() if fields is not None else None
        extra = {"Origin": self.origin, "Referer": self.origin + path}
        if body is not None:
            extra["Content-Type"] = "application/x-www-form-urlencoded"
        connection = self._connection()
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=self._headers(extra))
            response = connection.getresponse()
            sha = hashlib.sha256()
            size = 0
            while chunk := response.read(CHUNK):
                sha.update(chunk)
                size += len(chunk)
            elapsed = time.perf_counter() - started
            self._keep_cookies(response)
            return response.status, size, sha.hexdigest(), elapsed
        finally:
            connection.close()


# --- Reference timings --------------------------------------------------------------------


def timed(argv: list[str], **kwargs: Any) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, timeout=REQUEST_TIMEOUT, **kwargs)
    return time.perf_counter() - started


def python_read_sha256(path: Path) -> tuple[str, float]:
    started = time.perf_counter()
    sha = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest(), time.perf_counter() - started


def write_random_file(path: Path, size: int) -> str:
    """Random bytes (incompressible, nothing for a filesystem to deduplicate)."""
    sha = hashlib.sha256()
    with path.open("wb") as target:
        remaining = size
        while remaining:
            chunk = os.urandom(min(CHUNK, remaining))
            sha.update(chunk)
            target.write(chunk)
            remaining -= len(chunk)
    return sha.hexdigest()


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        match = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = match.group(1) if match else ""
    memory = status = ""
    with contextlib.suppress(OSError):
        meminfo = Path("/proc/meminfo").read_text()
        match = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.M)
        memory = f"{int(match.group(1)) // 1024} MiB" if match else ""
    with contextlib.suppress(Exception):
        status = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        ).stdout.strip()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "load_average_at_start": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": status,
    }


def mib_per_s(size: int, seconds: float) -> float:
    return round(size / MIB / seconds, 1) if seconds > 0 else 0.0


# --- The run ------------------------------------------------------------------------------


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def wait_until_up(client: Client, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited ({server.returncode}):\n{log.read_text()}")
        with contextlib.suppress(OSError):
            if client.request("GET", "/healthz")[0] == 200:
                return
        time.sleep(0.25)
    raise TimeoutError("the server did not answer /healthz within 120 s")


def log_in(client: Client) -> None:
    status, _headers, page = client.request("GET", "/accounts/login/")
    assert status == 200, status
    status, headers, _ = client.post_form(
        "/accounts/login/",
        {"csrfmiddlewaretoken": client.csrf_from(page), "login": EMAIL, "password": PASSWORD},
    )
    if status != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"login failed: {status} {headers}")


@contextlib.contextmanager
def workspace(keep: bool) -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="comptoir-bench-"))
    try:
        yield base
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)


def bench(size_mib: int, workers: int, keep: bool) -> dict[str, Any]:
    size = size_mib * MIB
    results: dict[str, Any] = {"machine": machine(), "file_mib": size_mib}
    with workspace(keep) as base:
        data = base / "data"
        source = base / "bench-upload.bin"
        print(f"Writing {size_mib} MiB of random bytes to {source}…", flush=True)
        expected = write_random_file(source, size)
        results["machine"]["disk"] = subprocess.run(
            ["df", "-hT", str(base)], capture_output=True, text=True, check=False
        ).stdout.splitlines()[-1]

        env = comptoir_env(
            data,
            {
                "DEBUG": "false",
                "HTTPS": "false",
                "ALLOWED_HOSTS": "127.0.0.1",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "UPLOAD_MAX_BYTES": str(max(2 * size, 2048 * MIB)),
                "TASK_BACKEND": "database",  # no worker runs: the upload path only
                "LOG_LEVEL": "WARNING",
                "DJANGO_SETTINGS_MODULE": "comptoir.settings",
            },
        )
        run_comptoir("migrate", "--verbosity", "0", env=env)
        run_comptoir(
            "shell", "-c", SETUP.format(email=EMAIL, password=PASSWORD, slug=SLUG), env=env
        )

        port = free_port()
        log = base / "server.log"
        with log.open("wb") as log_file:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "comptoir.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                ],
                env=env,
                cwd=ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            client = Client("127.0.0.1", port)
            wait_until_up(client, server, log)
            time.sleep(1)  # every worker booted
            # `serve` execs gunicorn: the server's pid is the master, its children the workers.
            gunicorn = [server.pid, *process_children(server.pid)]
            results["server"] = {
                "command": f"comptoir serve --workers {workers} (gunicorn gthread, 4 threads)",
                "processes": len(gunicorn),
                "upload_max_bytes": int(env["UPLOAD_MAX_BYTES"]),
                "database": "SQLite (WAL)",
                "debug": False,
            }
            log_in(client)
            # The documents page sets the CSRF cookie the upload script sends back.
            status, _h, _page = client.request("GET", f"/d/{SLUG}/documents/")
            assert status == 200, status

            print("Uploading…", flush=True)
            with MemorySampler(gunicorn) as upload_memory:
                status, body, upload_seconds = client.upload(
                    f"/d/{SLUG}/documents/upload/", source, "bench-upload.bin"
                )
            if status != 201:
                raise RuntimeError(f"upload refused: {status} {body[:500]!r}")
            document_id = json.loads(body)["documents"][0]["id"]

            copy = base / "bench-copy.bin"
            cp_seconds = timed(["cp", str(source), str(copy)])
            copy.unlink()
            stored = sorted((data / "media" / "documents").rglob("*"))
            stored_files = [p for p in stored if p.is_file()]
            stored_sha, _ = python_read_sha256(stored_files[0])
            results["upload"] = {
                "endpoint": "POST /d/<slug>/documents/upload/ (multipart, Accept: JSON)",
                "seconds": round(upload_seconds, 2),
                "mib_per_s": mib_per_s(size, upload_seconds),
                "cp_seconds": round(cp_seconds, 2),
                "cp_mib_per_s": mib_per_s(size, cp_seconds),
                "stored_sha256_matches": stored_sha == expected,
                "server_memory": upload_memory.report(),
            }

            token = last_json_line(
                run_comptoir(
                    "shell",
                    "-c",
                    LINK.format(email=EMAIL, slug=SLUG, document_id=document_id),
                    env=env,
                )
            )["token"]
            recipient = Client("127.0.0.1", port)
            status, _h, page = recipient.request("GET", f"/s/{token}/")
            assert status == 200, status
            print("Downloading through the share link…", flush=True)
            with MemorySampler(gunicorn) as link_memory:
                status, got, sha, link_seconds = recipient.download(
                    "POST",
                    f"/s/{token}/documents/{document_id}/",
                    {"csrfmiddlewaretoken": recipient.csrf_from(page)},
                )
            if status != 200:
                raise RuntimeError(f"share-link download answered {status}")

            print("Downloading through the signed-in URL…", flush=True)
            with MemorySampler(gunicorn) as auth_memory:
                auth_status, auth_got, auth_sha, auth_seconds = client.download(
                    "GET", f"/d/{SLUG}/documents/{document_id}/download/"
                )

            cat_seconds = timed(
                ["sh", "-c", 'cat "$1" > /dev/null', "sh", str(source)],
            )
            _sha, read_seconds = python_read_sha256(source)
            results["download"] = {
                "via": "share link: POST /s/<token>/documents/<id>/ (comptoir.sharing)",
                "seconds": round(link_seconds, 2),
                "mib_per_s": mib_per_s(size, link_seconds),
                "bytes": got,
                "sha256_matches": got == size and sha == expected,
                "server_memory": link_memory.report(),
                "signed_in_download": {
                    "via": "GET /d/<slug>/documents/<id>/download/",
                    "status": auth_status,
                    "seconds": round(auth_seconds, 2),
                    "mib_per_s": mib_per_s(size, auth_seconds),
                    "sha256_matches": auth_got == size and auth_sha == expected,
                    "server_memory": auth_memory.report(),
                },
                "cat_seconds": round(cat_seconds, 2),
                "cat_mib_per_s": mib_per_s(size, cat_seconds),
                "python_read_sha256_seconds": round(read_seconds, 2),
                "python_read_sha256_mib_per_s": mib_per_s(size, read_seconds),
                "note": "the client hashes what it receives (SHA-256) as it reads, "
                "like the Python read it is compared with",
            }
        finally:
            stop(server)
    return results


def hwm(memory: dict[str, Any]) -> float:
    return max((p["vm_hwm_after"] for p in memory["per_process_mib"].values()), default=0.0)


def markdown(results: dict[str, Any]) -> str:
    m, up, down = results["machine"], results["upload"], results["download"]
    signed = down["signed_in_download"]
    size = results["file_mib"]
    rows = [
        ("Upload through Comptoir", up["seconds"], up["mib_per_s"], ""),
        ("`cp` of the same file (same disk)", up["cp_seconds"], up["cp_mib_per_s"], ""),
        (
            "Download through a share link",
            down["seconds"],
            down["mib_per_s"],
            "SHA-256 equal" if down["sha256_matches"] else "**SHA-256 DIFFERS**",
        ),
        (
            "Download, signed-in URL",
            signed["seconds"],
            signed["mib_per_s"],
            "SHA-256 equal" if signed["sha256_matches"] else "**SHA-256 DIFFERS**",
        ),
        ("`cat file > /dev/null`", down["cat_seconds"], down["cat_mib_per_s"], ""),
        (
            "Python read + SHA-256",
            down["python_read_sha256_seconds"],
            down["python_read_sha256_mib_per_s"],
            "",
        ),
    ]
    lines = [
        f"# Upload and download of a {size} MiB file",
        "",
        f"{m['date']} · {m['cores']} cores ({m['cpu']}) · {m['memory']} RAM · "
        f"Python {m['python']} · {m['platform']} · commit {m['commit']} · "
        f"load average at start {m['load_average_at_start']}",
        "",
        f"Server: {results['server']['command']}, SQLite, DEBUG off; "
        f"{results['server']['processes']} gunicorn processes (master + workers).",
        "",
        "| what | seconds | MiB/s | check |",
        "|---|---:|---:|---|",
        *(f"| {what} | {s} | {t} | {check} |" for what, s, t, check in rows),
        "",
        "| server memory (largest gunicorn process) | RSS peak (sampled) | VmHWM after "
        "| growth during transfer |",
        "|---|---:|---:|---:|",
        *(
            f"| {what} | {memory['peak_rss_mib']} MiB | {hwm(memory)} MiB "
            f"| {memory['peak_growth_mib']} MiB |"
            for what, memory in (
                ("upload", up["server_memory"]),
                ("share-link download", down["server_memory"]),
                ("signed-in download", signed["server_memory"]),
            )
        ),
        "",
        f"File size: {size} MiB. Growth = sampled peak minus the RSS just before the transfer.",
        "",
        f"RSS sampled from /proc every {up['server_memory']['sampled_every_ms']} ms; VmHWM is "
        "the kernel's high-water mark of the process since it started (per process in the JSON).",
        f"Stored file's SHA-256 equals the original: {up['stored_sha256_matches']}.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--output", type=Path, default=RESULTS)
    options = parser.parse_args()
    results = bench(options.size_mib, options.workers, options.keep)
    options.output.mkdir(parents=True, exist_ok=True)
    (options.output / "upload_download.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (options.output / "upload_download.md").write_text(table)
    print(table)
    ok = results["upload"]["stored_sha256_matches"] and results["download"]["sha256_matches"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
