"""Soak: mixed traffic from simulated users against `comptoir serve` with a worker.

    uv run python bench/soak.py [--minutes 30] [--users 50] [--warmup-minutes 5]

In a throwaway data folder (SQLite, DEBUG off): migrate, seed a dossier
(comptoir.testing.seed), start `comptoir serve` (gunicorn, 2 workers, 4 threads each) and
`comptoir worker`, then `--users` threads each loop over: the documents list, a document's
page, a download, the tasks list, the activity log, and every tenth round an upload of a
small PNG (which queues the worker's thumbnail job) — with a 0.2-1 s think time. Every
5 s the resident memory (VmRSS) of each server and worker process is read from /proc.

Reported: requests and errors (5xx, refused connections, timeouts), latency percentiles,
and per process the RSS at the end of the warm-up and at the end, with the growth in %
(target: < 10 % after the first 5 minutes). Results: bench/results/soak.json and .md.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
sys.path.insert(0, str(ROOT))

from comptoir.testing.files import png_bytes  # noqa: E402
from comptoir.testing.live import prepared, serve, stop  # noqa: E402
from comptoir.testing.processes import comptoir_env  # noqa: E402

CSRF = "s" * 32


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def process_tree(root: int) -> list[int]:
    """The root and its descendants (gunicorn's master and workers)."""
    found = [root]
    for pid in found:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except FileNotFoundError:
            continue
        found.extend(int(child) for child in children)
    return found


class User(threading.Thread):
    def __init__(self, *, port: int, seeded: dict[str, Any], until: float, stats: dict) -> None:
        super().__init__(daemon=True)
        self.port, self.seeded, self.until, self.stats = port, seeded, until, stats
        self.random = random.Random()

    def request(self, method: str, path: str, body: bytes = b"", extra=None) -> None:
        headers = {
            "Host": "127.0.0.1",
            "Cookie": f"sessionid={self.seeded['session']}; csrftoken={CSRF}",
            **(extra or {}),
        }
        started = time.monotonic()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            status = response.status
        except OSError as error:
            status = f"{type(error).__name__}"
        elapsed = time.monotonic() - started
        with self.stats["lock"]:
            self.stats["requests"] += 1
            key = f"{method} {status}"
            self.stats["statuses"][key] = self.stats["statuses"].get(key, 0) + 1
            self.stats["latencies"].append(elapsed)
            if not isinstance(status, int) or status >= 500:
                self.stats["errors"].append(f"{method} {path}: {status}")

    def upload(self) -> None:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                f'filename="soak-{uuid.uuid4().hex[:8]}.png"\r\nContent-Type: image/png\r\n\r\n'
            ).encode()
            + png_bytes(colour=self.random.choice(["teal", "navy", "olive"]))
            + f"\r\n--{boundary}--\r\n".encode()
        )
        self.request(
            "POST",
            f"/d/{self.seeded['slug']}/documents/upload/",
            body,
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "X-CSRFToken": CSRF,
                "Accept": "application/json",
            },
        )

    def run(self) -> None:
        slug = self.seeded["slug"]
        documents = list(self.seeded["documents"])
        rounds = 0
        while time.monotonic() < self.until:
            document = self.random.choice(documents)
            for path in (
                f"/d/{slug}/documents/",
                f"/d/{slug}/documents/{document}/",
                f"/d/{slug}/documents/{document}/download/",
                f"/d/{slug}/tasks/",
                f"/d/{slug}/journal/",
            ):
                if time.monotonic() >= self.until:
                    return
                self.request("GET", path)
                time.sleep(self.random.uniform(0.2, 1.0))
            rounds += 1
            if rounds % 10 == 0:
                self.upload()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--warmup-minutes", type=float, default=5)
    options = parser.parse_args()
    warmup = min(options.warmup_minutes, options.minutes / 3)

    folder = Path(tempfile.mkdtemp(prefix="comptoir-soak-"))
    data_dir = folder / "data"
    seeded = prepared(data_dir)
    server, port = serve(data_dir, workers=2)
    worker = subprocess.Popen(
        [sys.executable, "-m", "comptoir.cli", "worker"],
        env=comptoir_env(data_dir, {"HTTPS": "false"}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    stats: dict[str, Any] = {
        "lock": threading.Lock(),
        "requests": 0,
        "statuses": {},
        "errors": [],
        "latencies": [],
    }
    samples: list[dict[str, Any]] = []
    started = time.monotonic()
    until = started + options.minutes * 60
    users = [User(port=port, seeded=seeded, until=until, stats=stats) for _ in range(options.users)]
    try:
        for user in users:
            user.start()
            time.sleep(0.05)
        while time.monotonic() < until:
            memory = {f"serve:{pid}": rss_kib(pid) for pid in process_tree(server.pid)} | {
                f"worker:{pid}": rss_kib(pid) for pid in process_tree(worker.pid)
            }
            samples.append({"t": round(time.monotonic() - started, 1), "rss_kib": memory})
            time.sleep(5)
        for user in users:
            user.join(timeout=90)
    finally:
        stop(server)
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)

    after_warmup = next(s for s in samples if s["t"] >= warmup * 60)
    last = samples[-1]
    growth = {}
    for name, end in last["rss_kib"].items():
        begin = after_warmup["rss_kib"].get(name)
        if begin and end:
            growth[name] = {
                "after_warmup_kib": begin,
                "end_kib": end,
                "growth_pct": round((end - begin) * 100 / begin, 1),
            }
    latencies = sorted(stats["latencies"])
    result = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPU",
        "minutes": options.minutes,
        "users": options.users,
        "warmup_minutes": warmup,
        "requests": stats["requests"],
        "statuses": dict(sorted(stats["statuses"].items())),
        "errors": len(stats["errors"]),
        "error_samples": stats["errors"][:20],
        "latency_ms": {
            "p50": round(statistics.median(latencies) * 1000),
            "p95": round(latencies[int(len(latencies) * 0.95)] * 1000),
            "max": round(latencies[-1] * 1000),
        },
        "memory": growth,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Soak",
        "",
        f"{result['date']} — {result['machine']} — {options.minutes} min, {options.users} "
        f"users, SQLite, `comptoir serve` (2 workers, 4 threads) + `comptoir worker`.",
        "",
        f"- requests: {result['requests']}, errors (5xx or connection): {result['errors']}",
        f"- answers: {', '.join(f'{k}: {v}' for k, v in result['statuses'].items())}",
        f"- latency: p50 {result['latency_ms']['p50']} ms, p95 {result['latency_ms']['p95']} "
        f"ms, max {result['latency_ms']['max']} ms",
        "",
        f"| process | RSS after {warmup:.1f} min (KiB) | RSS at end (KiB) | growth |",
        "|---|---|---|---|",
    ]
    for name, values in growth.items():
        lines.append(
            f"| {name} | {values['after_warmup_kib']} | {values['end_kib']} | "
            f"{values['growth_pct']} % |"
        )
    (RESULTS / "soak.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
