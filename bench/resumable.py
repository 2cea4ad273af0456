"""Benchmark: the resumable (tus) upload path on the production server.

    uv run python bench/resumable.py [--throttled-mib 200] [--rate-mbit 10]
                                     [--disconnections 3] [--plain-mib 1024]

What it does, in a throwaway folder (removed at the end), with `comptoir serve` (gunicorn)
set up as bench/upload_download.py does:

1. Throttled: a file of `--throttled-mib` goes through a loopback proxy that limits the
   link to `--rate-mbit` Mbit/s (client to server) and cuts every open connection at
   1/4, 2/4 and 3/4 of the bytes (`--disconnections`). The client is a tus client as the
   page's queue is (8 MiB PATCH chunks, file streamed from disk): after each cut it asks
   the offset (HEAD) and goes on. Total time against the ideal time of the same bytes at
   that rate (size ÷ rate), and the stored file's SHA-256 against the original.
2. Plain: a file of `--plain-mib` through the same client without the proxy (one PATCH
   per 64 MiB), against `cp` of the same file on the same disk.

Results go to bench/results/resumable.json and .md. Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from upload_download import (
    EMAIL,
    MIB,
    PASSWORD,
    RESULTS,
    ROOT,
    SETUP,
    SLUG,
    Client,
    comptoir_env,
    free_port,
    log_in,
    machine,
    mib_per_s,
    python_read_sha256,
    run_comptoir,
    stop,
    timed,
    wait_until_up,
    workspace,
    write_random_file,
)

BROWSER_CHUNK = 8 * MIB  # static/comptoir/pwa_queue.js
PLAIN_CHUNK = 64 * MIB
BLOCK = 64 * 1024


class ThrottlingProxy:
    """Loopback TCP proxy: client→server bytes at most `rate` bytes/s (a token bucket
    shared by all connections, like one phone link); `cut()` closes every open connection."""

    def __init__(self, target_port: int, rate: float) -> None:
        self.target_port = target_port
        self.rate = rate
        self.lock = threading.Lock()
        self.next_free = time.monotonic()
        self.connections: list[tuple[socket.socket, socket.socket]] = []
        self.forwarded = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.connections.append((client, server))
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _wait_for(self, size: int) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_free)
            self.next_free = start + size / self.rate
            delay = self.next_free - now
        if delay > 0:
            time.sleep(delay)

    def _pipe(self, source: socket.socket, target: socket.socket, upstream: bool) -> None:
        try:
            while data := source.recv(BLOCK):
                if upstream:
                    self._wait_for(len(data))
                    self.forwarded += len(data)
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def cut(self) -> None:
        with self.lock:
            connections, self.connections = self.connections, []
        for pair in connections:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.cut()
        self.listener.close()


class TusUploader:
    """A tus 1.0 client as the page's queue is: create, then PATCH chunk by chunk; on a
    broken connection, HEAD for the offset and go on from there."""

    def __init__(self, client: Client, port: int, chunk: int) -> None:
        self.client, self.port, self.chunk = client, port, chunk
        self.retries = 0

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = self.client._headers(
            {
                "Tus-Resumable": "1.0.0",
                "X-CSRFToken": self.client.cookies.get("csrftoken", ""),
                **extra,
            }
        )
        headers["Host"] = f"127.0.0.1:{self.port}"
        return headers

    def _request(self, method: str, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.request(method, path, headers=self._headers(headers))
        return connection.getresponse()

    def create(self, name: str, size: int) -> str:
        metadata = "filename " + base64.b64encode(name.encode()).decode()
        response = self._request(
            "POST",
            f"/d/{SLUG}/tus/",
            {"Upload-Length": str(size), "Upload-Metadata": metadata},
        )
        response.read()
        if response.status != 201:
            raise RuntimeError(f"creation refused: {response.status}")
        return urllib.parse.urlsplit(response.headers["Location"]).path

    def offset(self, path: str) -> int:
        response = self._request("HEAD", path, {})
        response.read()
        return int(response.headers["Upload-Offset"])

    def patch(self, path: str, file: Path, offset: int, length: int) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.putrequest("PATCH", path, skip_host=True, skip_accept_encoding=True)
        for key, value in self._headers(
            {
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(length),
            }
        ).items():
            connection.putheader(key, value)
        connection.endheaders()
        with file.open("rb") as source:
            source.seek(offset)
            remaining = length
            while remaining:
                block = source.read(min(MIB, remaining))
                connection.send(block)
                remaining -= len(block)
        response = connection.getresponse()
        response.read()
        if response.status == 409:  # the cut request is still being recorded: ask again
            raise ConnectionResetError("offset moved")
        if response.status != 204:
            raise RuntimeError(f"PATCH refused: {response.status}")
        return int(response.headers["Upload-Offset"])

    def upload(self, file: Path, name: str) -> str:
        size = file.stat().st_size
        path = self.create(name, size)
        offset = 0
        while offset < size:
            try:
                offset = self.patch(path, file, offset, min(self.chunk, size - offset))
            except (OSError, http.client.HTTPException):
                self.retries += 1
                for _attempt in range(50):
                    try:
                        offset = self.offset(path)
                        break
                    except (OSError, http.client.HTTPException):
                        time.sleep(0.2)
        return path


def start_server(base: Path, size: int) -> tuple[subprocess.Popen[bytes], Client, Path, int]:
    data = base / "data"
    env = comptoir_env(
        data,
        {
            "DEBUG": "false",
            "HTTPS": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "UPLOAD_MAX_BYTES": str(max(2 * size, 2048 * MIB)),
            "TASK_BACKEND": "database",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "comptoir.settings",
        },
    )
    run_comptoir("migrate", "--verbosity", "0", env=env)
    run_comptoir("shell", "-c", SETUP.format(email=EMAIL, password=PASSWORD, slug=SLUG), env=env)
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
                "2",
            ],
            env=env,
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    client = Client("127.0.0.1", port)
    wait_until_up(client, server, log)
    time.sleep(1)
    log_in(client)
    status, _h, _page = client.request("GET", f"/d/{SLUG}/documents/")
    assert status == 200, status
    return server, client, data, port


def stored_sha256(data: Path, name_hint: int) -> str:
    files = sorted(
        (p for p in (data / "media" / "documents").rglob("*") if p.is_file()),
        key=lambda p: p.stat().st_mtime,
    )
    return python_read_sha256(files[name_hint])[0]


def bench(throttled_mib: int, rate_mbit: float, cuts: int, plain_mib: int, keep: bool) -> dict:
    results: dict[str, Any] = {"machine": machine()}
    with workspace(keep) as base:
        small, large = base / "throttled.bin", base / "plain.bin"
        print(f"Writing {throttled_mib} + {plain_mib} MiB of random bytes…", flush=True)
        small_sha = write_random_file(small, throttled_mib * MIB)
        large_sha = write_random_file(large, plain_mib * MIB)
        server, client, data, port = start_server(base, plain_mib * MIB)
        try:
            # 1. Throttled, with cuts.
            rate = rate_mbit * 1_000_000 / 8
            size = small.stat().st_size
            proxy = ThrottlingProxy(port, rate)
            uploader = TusUploader(client, proxy.port, BROWSER_CHUNK)
            marks = [size * (i + 1) // (cuts + 1) for i in range(cuts)]
            done = threading.Event()

            def cutter() -> None:
                for mark in marks:
                    while proxy.forwarded < mark and not done.is_set():
                        time.sleep(0.05)
                    proxy.cut()

            print(f"Throttled upload at {rate_mbit} Mbit/s with {cuts} cuts…", flush=True)
            threading.Thread(target=cutter, daemon=True).start()
            started = time.perf_counter()
            uploader.upload(small, "throttled.bin")
            throttled_seconds = time.perf_counter() - started
            done.set()
            proxy.close()
            ideal = size / rate
            throttled_ok = stored_sha256(data, -1) == small_sha
            results["throttled"] = {
                "mib": throttled_mib,
                "rate_mbit_s": rate_mbit,
                "forced_disconnections": cuts,
                "reconnections_seen_by_client": uploader.retries,
                "chunk_mib": BROWSER_CHUNK // MIB,
                "seconds": round(throttled_seconds, 2),
                "ideal_seconds_at_rate": round(ideal, 2),
                "ratio": round(throttled_seconds / ideal, 3),
                "sha256_equal": throttled_ok,
            }
            print(results["throttled"], flush=True)

            # 2. Plain throughput against cp.
            print(f"Plain upload of {plain_mib} MiB…", flush=True)
            plain = TusUploader(client, port, PLAIN_CHUNK)
            started = time.perf_counter()
            plain.upload(large, "plain.bin")
            plain_seconds = time.perf_counter() - started
            copy = base / "copy.bin"
            cp_seconds = timed(["cp", str(large), str(copy)])
            copy.unlink()
            results["plain"] = {
                "mib": plain_mib,
                "chunk_mib": PLAIN_CHUNK // MIB,
                "seconds": round(plain_seconds, 2),
                "mib_per_s": mib_per_s(large.stat().st_size, plain_seconds),
                "cp_seconds": round(cp_seconds, 2),
                "cp_mib_per_s": mib_per_s(large.stat().st_size, cp_seconds),
                "ratio_to_cp": round(cp_seconds / plain_seconds, 3),
                "sha256_equal": stored_sha256(data, -1) == large_sha,
            }
            print(results["plain"], flush=True)
        finally:
            stop(server)
    return results


def write_results(results: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "resumable.json").write_text(json.dumps(results, indent=2) + "\n")
    m, t, p = results["machine"], results["throttled"], results["plain"]
    lines = [
        "# Resumable (tus) uploads",
        "",
        f"{m['date']} · {m['cores']} cores · {m['memory']} RAM · Python {m['python']} · "
        f"commit {m['commit']} · load average at start {m['load_average_at_start']}",
        "",
        "Server: comptoir serve --workers 2 (gunicorn gthread), SQLite, DEBUG off. Client: "
        "a tus client streaming from disk, as the page's queue does.",
        "",
        f"## {t['mib']} MiB at {t['rate_mbit_s']} Mbit/s, {t['forced_disconnections']} "
        "forced disconnections",
        "",
        "| what | value |",
        "|---|---:|",
        f"| total time | {t['seconds']} s |",
        f"| the same bytes at the link's rate | {t['ideal_seconds_at_rate']} s |",
        f"| ratio (target ≤ 1.15) | {t['ratio']} |",
        f"| reconnections the client made | {t['reconnections_seen_by_client']} |",
        f"| PATCH chunk | {t['chunk_mib']} MiB |",
        f"| stored SHA-256 equals the original | {t['sha256_equal']} |",
        "",
        f"## {p['mib']} MiB, no throttling",
        "",
        "| what | seconds | MiB/s |",
        "|---|---:|---:|",
        f"| tus upload ({p['chunk_mib']} MiB chunks) | {p['seconds']} | {p['mib_per_s']} |",
        f"| `cp` of the same file | {p['cp_seconds']} | {p['cp_mib_per_s']} |",
        "",
        f"Ratio to `cp` (target ≥ 0.7): {p['ratio_to_cp']}. "
        f"Stored SHA-256 equals the original: {p['sha256_equal']}.",
    ]
    (RESULTS / "resumable.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--throttled-mib", type=int, default=200)
    parser.add_argument("--rate-mbit", type=float, default=10.0)
    parser.add_argument("--disconnections", type=int, default=3)
    parser.add_argument("--plain-mib", type=int, default=1024)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway folder")
    args = parser.parse_args()
    results = bench(
        args.throttled_mib, args.rate_mbit, args.disconnections, args.plain_mib, args.keep
    )
    write_results(results)
    print(f"Results in {RESULTS / 'resumable.md'}")


if __name__ == "__main__":
    main()
