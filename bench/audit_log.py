"""Benchmark: the activity log of a dossier with millions of events, and a big XLSX export.

    uv run python bench/audit_log.py [--events 5000000] [--export-rows 1000000]
                                     [--database-url postgres://…] [--keep]

What it does, in a throwaway data folder (removed at the end unless --keep):
1. migrates, creates a dossier with a dozen members (through the real actions), then
   generates `--events` events in it: realistic actions, authors, objects, addresses and
   user agents spread over three years, each with its place in the dossier's hash chain
   (`audit.chain.event_hash`), inserted in batches (the database's append-only triggers
   only refuse UPDATE and DELETE);
2. verifies the dossier's chain with `audit-verify`'s code (`chains_verify`);
3. requests the log's pages as the owner, in process with Django's test client, DEBUG off:
   the first page, a deep page (keyset `before=` near the oldest events), a page filtered
   by author, by action and by period, each five times (median and max), with the number
   of SQL queries of each;
4. exports the newest `--export-rows` events of the dossier to XLSX through
   `audit.exports` (the code the background job runs), in a process of its own, and
   measures time and peak memory (the kernel's VmHWM of that process);
5. for comparison, loads the same rows into memory first, then lets xlsxwriter (constant
   memory mode, same formats) write them: the time of the write alone and the peak memory
   of that process.

Each phase runs in a child process (this script with `--phase`), so each peak memory is
that phase's own. Results go to bench/results/audit_log.json and .md (on PostgreSQL:
audit_log_postgresql.json and .md).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SLUG = "journal-bench"
BATCH = 10_000
REPEAT = 5
PASSWORD = "bench-" + secrets.token_urlsafe(12)

sys.path.insert(0, str(ROOT))


def peak_mib() -> float:
    """This process's high-water mark of resident memory (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    import django

    django.setup()


# --- Phases (run in child processes) -------------------------------------------------------

ACTIONS = [
    ("document.uploaded", "documents.document"),
    ("document.viewed", "documents.document"),
    ("document.downloaded", "documents.document"),
    ("document.renamed", "documents.document"),
    ("document.moved", "documents.document"),
    ("document.trashed", "documents.document"),
    ("document.version_added", "documents.document"),
    ("folder.created", "documents.folder"),
    ("share_link.created", "sharing.sharelink"),
    ("share_link.opened", "sharing.sharelink"),
    ("share_link.downloaded", "sharing.sharelink"),
    ("task.created", "assignments.task"),
    ("task.completed", "assignments.task"),
    ("step.completed", "assignments.step"),
    ("step.not_applicable", "assignments.step"),
    ("member.role_changed", "dossiers.membership"),
]
COLUMNS = (
    "dossier_id", "seq", "created_at", "actor_id", "actor_label", "action", "object_type",
    "object_id", "object_repr", "ip", "user_agent", "details", "prev_hash", "hash",
)  # fmt: skip
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari",
]
NAMES = [
    "Relevé de compte {n}.pdf",
    "Facture F-{n} =1+1.pdf",
    "Bulletin de paie {n}.pdf",
    "Note de frais n° {n}.jpg",
]


def phase_generate(events: int) -> dict[str, Any]:
    django_setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from comptoir.accounts.actions import user_create
    from comptoir.audit.actions import Actor
    from comptoir.audit.chain import chain_key, event_hash
    from comptoir.audit.models import AuditChain, AuditEvent
    from comptoir.dossiers.actions import dossier_create
    from comptoir.dossiers.models import Membership
    from comptoir.dossiers.permissions import Role

    started = time.perf_counter()
    owner = user_create(email="gerant@bench.test", password=PASSWORD, email_verified=True)
    dossier = dossier_create(
        actor=Actor(user=owner), name="Journal Bench", slug=SLUG, siren="732829320"
    )
    people = [owner]
    for number in range(11):
        person = user_create(email=f"personne{number}@bench.test", password=PASSWORD)
        Membership.objects.create(dossier=dossier, user=person, role=Role.USER)
        people.append(person)
    head = AuditChain.objects.get(key=chain_key(dossier.pk))
    # Plain INSERTs of prepared rows: Django's bulk_create costs more than the database.
    table = AuditEvent._meta.db_table
    # The table and column names are the model's own, never input.
    insert = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        table, ", ".join(COLUMNS), ", ".join(["%s"] * len(COLUMNS))
    )

    def adapt(column: str, value: Any) -> Any:
        if column == "created_at":
            return connection.ops.adapt_datetimefield_value(value)
        return value

    seq, previous = head.last_seq, head.last_hash
    rng = random.Random(2026)
    end = timezone.now()
    start = end - datetime.timedelta(days=3 * 365)
    step = (end - start) / events
    generated = 0
    while generated < events:
        rows = []
        with transaction.atomic():
            for _ in range(min(BATCH, events - generated)):
                generated += 1
                seq += 1
                action, object_type = rng.choice(ACTIONS)
                actor = rng.choice(people)
                number = rng.randrange(1, 5000)
                values = {
                    "dossier_id": dossier.pk,
                    "seq": seq,
                    "created_at": start + step * generated,
                    "actor_id": actor.pk,
                    "actor_label": actor.email,
                    "action": action,
                    "object_type": object_type,
                    "object_id": str(number),
                    "object_repr": rng.choice(NAMES).format(n=number),
                    "ip": f"203.0.113.{rng.randrange(1, 255)}",
                    "user_agent": rng.choice(AGENTS),
                    "details": {"taille": number * 1024} if action == "document.uploaded" else {},
                    "prev_hash": previous,
                }
                values["hash"] = previous = event_hash(values)
                rows.append(
                    tuple(
                        json.dumps(values[c]) if c == "details" else adapt(c, values[c])
                        for c in COLUMNS
                    )
                )
            with connection.cursor() as cursor:
                cursor.executemany(insert, rows)
            AuditChain.objects.filter(pk=head.pk).update(last_seq=seq, last_hash=previous)
    generate_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE audit_auditevent")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    total = AuditEvent.objects.filter(dossier=dossier).count()
    return {
        "events_in_dossier": total,
        "generate_seconds": round(generate_seconds, 1),
        "dossier_id": dossier.pk,
        "owner_id": owner.pk,
        "actor_id": people[3].pk,
        "peak_mib": round(peak_mib(), 1),
    }


def phase_verify(dossier_id: int) -> dict[str, Any]:
    django_setup()
    from comptoir.audit.chain import chains_verify

    started = time.perf_counter()
    report = chains_verify(dossier_id=dossier_id)
    broken = report.broken
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "holds": broken is None,
        "report": f"{report.events:,} events in {report.chains} chain(s): "
        + ("the chain holds" if broken is None else f"BROKEN at event {broken.event_id}"),
        "peak_mib": round(peak_mib(), 1),
    }


def phase_pages(owner_id: int, actor_id: int) -> dict[str, Any]:
    django_setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from comptoir.accounts.models import User
    from comptoir.audit.models import AuditEvent

    client = Client()
    client.force_login(User.objects.get(pk=owner_id))
    url = reverse("audit:dossier_log", args=[SLUG])
    ids = AuditEvent.objects.filter(dossier__slug=SLUG).order_by("id").values_list("id", flat=True)
    deep = ids[50_000] if ids.count() > 50_000 else ids[len(ids) // 10]
    last_year = (datetime.date.today() - datetime.timedelta(days=400)).isoformat()
    year_end = (datetime.date.today() - datetime.timedelta(days=365)).isoformat()
    cases = {
        "first page": {},
        "deep page (before= an old event)": {"before": str(deep)},
        "filtered by author, first page": {"actor": str(actor_id)},
        "filtered by author, deep page": {"actor": str(actor_id), "before": str(deep)},
        "filtered by action, first page": {"action": "step.not_applicable"},
        "filtered by period (one month, a year ago)": {"from": last_year, "to": year_end},
        "filtered by period (the last year), deep page": {
            "from": year_end,
            "to": datetime.date.today().isoformat(),
            "before": str(ids[ids.count() * 5 // 6]),  # half-way through that year
        },
    }
    results = {}
    for name, query in cases.items():
        client.get(url, query)  # warm up
        seconds = []
        for _ in range(REPEAT):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url, query)
                seconds.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{name}: HTTP {response.status_code}")
        results[name] = {
            "median_ms": round(statistics.median(seconds) * 1000, 1),
            "max_ms": round(max(seconds) * 1000, 1),
            "queries": len(queries.captured_queries),
            "rows_on_page": response.content.count(b"<tr") - 1,
        }
    return {"cases": results, "peak_mib": round(peak_mib(), 1)}


def _export_queryset(rows: int) -> Any:
    from comptoir.audit.models import AuditEvent

    events = AuditEvent.objects.filter(dossier__slug=SLUG)
    ids = events.order_by("-id").values_list("id", flat=True)
    oldest = ids[rows - 1] if events.count() >= rows else 0
    return events.filter(id__gte=oldest)


def phase_export(rows: int, path: str) -> dict[str, Any]:
    django_setup()
    from comptoir.audit.exports import export_rows, write_xlsx

    events = _export_queryset(rows)
    started = time.perf_counter()
    with open(path, "wb") as handle:
        written = write_xlsx(export_rows(events), handle, across=False)
    seconds = time.perf_counter() - started
    return {
        "rows": written,
        "seconds": round(seconds, 1),
        "bytes": os.path.getsize(path),
        "peak_mib": round(peak_mib(), 1),
    }


def phase_baseline(rows: int, path: str) -> dict[str, Any]:
    django_setup()
    import xlsxwriter

    from comptoir.audit.exports import _cells, export_rows, headers

    events = _export_queryset(rows)
    started = time.perf_counter()
    cells = [_cells(row, across=False) for row in export_rows(events)]
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    workbook = xlsxwriter.Workbook(
        path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet("Journal")
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})
    for column, title in enumerate(headers(across=False)):
        sheet.write_string(0, column, title)
    for line, row in enumerate(cells, start=1):
        sheet.write_datetime(line, 0, row[0], date_format)
        for column, value in enumerate(row[1:], start=1):
            if value:
                sheet.write_string(line, column, value)
    workbook.close()
    return {
        "rows": len(cells),
        "load_seconds": round(load_seconds, 1),
        "write_seconds": round(time.perf_counter() - started, 1),
        "bytes": os.path.getsize(path),
        "peak_mib": round(peak_mib(), 1),
    }


PHASES = {
    "generate": lambda a: phase_generate(a.events),
    "verify": lambda a: phase_verify(a.dossier_id),
    "pages": lambda a: phase_pages(a.owner_id, a.actor_id),
    "export": lambda a: phase_export(a.export_rows, a.path),
    "baseline": lambda a: phase_baseline(a.export_rows, a.path),
}


# --- The conductor ------------------------------------------------------------------------


def run_phase(name: str, env: dict[str, str], *extra: str) -> dict[str, Any]:
    print(f"· {name}…", flush=True)
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, __file__, "--phase", name, *extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"phase {name} failed:\n{completed.stdout}\n{completed.stderr}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"  {name} done in {time.perf_counter() - started:.0f} s", flush=True)
    return result


def comptoir(env: dict[str, str], *args: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "comptoir.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"comptoir {args[0]} failed:\n{completed.stderr}")


def machine() -> dict[str, Any]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def report(results: dict[str, Any]) -> str:
    m = results["machine"]
    g, v, p, e, b = (results[k] for k in ("generate", "verify", "pages", "export", "baseline"))
    lines = [
        f"# Activity log: {g['events_in_dossier']:,} events in one dossier",
        "",
        f"{m['when']} · {m['cores']} cores ({m['cpu']}) · Python {m['python']} · "
        f"commit {m['commit']} · database {results['database']} · "
        f"load average at start {m['load_average']}",
        "",
        f"Generated in {g['generate_seconds']} s (with the hash chain). "
        f"`chains_verify` of the dossier: {v['seconds']} s, peak {v['peak_mib']} MiB; "
        f"{v['report']}",
        "",
        "## The log's page (`/d/<slug>/journal/`, 50 events a page, as the owner, DEBUG off)",
        "",
        "| request | median ms | max ms | SQL queries | rows |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, case in p["cases"].items():
        lines.append(
            f"| {name} | {case['median_ms']} | {case['max_ms']} | {case['queries']} "
            f"| {case['rows_on_page']} |"
        )
    lines += [
        "",
        f"## XLSX export of {e['rows']:,} events",
        "",
        "| what | seconds | peak memory (VmHWM) | file |",
        "|---|---:|---:|---:|",
        f"| Comptoir's export (`audit.exports`, streamed from the database) | {e['seconds']} "
        f"| {e['peak_mib']} MiB | {e['bytes'] / 2**20:.1f} MiB |",
        f"| xlsxwriter alone writing the same rows from memory (write only) "
        f"| {b['write_seconds']} | {b['peak_mib']} MiB (rows held in memory) "
        f"| {b['bytes'] / 2**20:.1f} MiB |",
        f"| (loading those rows into memory first) | {b['load_seconds']} | | |",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--export-rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--dossier-id", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--owner-id", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--actor-id", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--path", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return

    folder = Path(tempfile.mkdtemp(prefix="comptoir-bench-log-"))
    env = {k: v for k, v in os.environ.items() if k not in {"COMPTOIR_DEMO", "HTTPS"}}
    env.update(
        COMPTOIR_DATA_DIR=str(folder / "data"),
        ALLOWED_HOSTS="testserver",
        DEBUG="false",
        HTTPS="false",
    )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    else:
        env.pop("DATABASE_URL", None)
    results: dict[str, Any] = {
        "machine": machine(),
        "database": "PostgreSQL" if args.database_url else "SQLite (WAL)",
        "events": args.events,
    }
    try:
        comptoir(env, "migrate", "-v", "0")
        comptoir(env, "collectstatic", "--noinput", "-v", "0")  # DEBUG off: the manifest
        results["generate"] = run_phase("generate", env, "--events", str(args.events))
        g = results["generate"]
        results["verify"] = run_phase("verify", env, "--dossier-id", str(g["dossier_id"]))
        results["pages"] = run_phase(
            "pages", env, "--owner-id", str(g["owner_id"]), "--actor-id", str(g["actor_id"])
        )
        rows = str(args.export_rows)
        results["export"] = run_phase(
            "export", env, "--export-rows", rows, "--path", str(folder / "export.xlsx")
        )
        results["baseline"] = run_phase(
            "baseline", env, "--export-rows", rows, "--path", str(folder / "baseline.xlsx")
        )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder}")
    RESULTS.mkdir(exist_ok=True)
    stem = "audit_log_postgresql" if args.database_url else "audit_log"
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    text = report(results)
    (RESULTS / f"{stem}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
