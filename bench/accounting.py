"""Benchmark: a dossier with a million accounting entries, one batch, its FEC.

    uv run python bench/accounting.py [--entries 1000000] [--database-url postgres://…]
                                      [--keep]

What it does, in a throwaway data folder (removed at the end unless --keep):
1. migrates, creates a dossier (through the real actions), then inserts `--entries`
   entries dated from 1 January to today, four sales (411 / 706 / 44571x, three lines) for
   one payment (512 / 411, two lines), by plain INSERTs of prepared rows (the ledger's
   triggers refuse only UPDATE and DELETE);
2. collects them all into one batch with `batch_collect` (the numbering UPDATE, then the
   batch's FEC and CSV written to the storage with their SHA-256), timed, with the peak
   memory of that process;
3. writes the batch's FEC again through `accounting.exports` (what a whole-year export
   streams), timed, with the peak memory of that process;
4. for comparison, loads the same rows into memory first, then lets Python's csv module
   write them with the same `|` separator and formatting: the time of the write alone and
   the peak memory of that process.

Each phase runs in a child process (this script with `--phase`), so each peak memory
(the kernel's VmHWM) is that phase's own. Results go to bench/results/accounting.json and
.md (on PostgreSQL: accounting_postgresql.json and .md).
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
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SLUG = "compta-bench"
BATCH = 5_000
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


ENTRY_COLUMNS = [
    "id", "dossier_id", "journal", "date", "fiscal_year_end", "piece_ref", "piece_date",
    "label", "total", "source", "source_id", "created_at",
]  # fmt: skip
LINE_COLUMNS = [
    "entry_id", "dossier_id", "position", "account", "account_label", "auxiliary",
    "auxiliary_label", "label", "debit", "credit", "lettering",
]  # fmt: skip
CUSTOMERS = [f"C{n:04d}" for n in range(1, 201)]
NAMES = ["Boulangerie Durand", "Garage Martin", "SCI Les Tilleuls", "Pharmacie Centrale"]


def phase_generate(entries: int) -> dict[str, Any]:
    django_setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from comptoir.accounting.models import Entry, EntryLine
    from comptoir.accounts.actions import user_create
    from comptoir.audit.actions import Actor
    from comptoir.dossiers.actions import dossier_create

    started = time.perf_counter()
    owner = user_create(email="gerant@bench.test", password=PASSWORD, email_verified=True)
    dossier = dossier_create(
        actor=Actor(user=owner), name="Compta Bench", slug=SLUG, siren="732829320"
    )
    today = timezone.localdate()
    first = datetime.date(today.year, 1, 1)
    span = (today - first).days + 1
    closing = datetime.date(today.year, 12, 31)
    now = timezone.now()
    rng = random.Random(42)
    # The table and column names are the models' own, never input.
    insert_entry = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        Entry._meta.db_table, ", ".join(ENTRY_COLUMNS), ", ".join(["%s"] * len(ENTRY_COLUMNS))
    )
    insert_line = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        EntryLine._meta.db_table, ", ".join(LINE_COLUMNS), ", ".join(["%s"] * len(LINE_COLUMNS))
    )
    lines_count = 0
    for start in range(1, entries + 1, BATCH):
        entry_rows, line_rows = [], []
        for pk in range(start, min(start + BATCH, entries + 1)):
            day = first + datetime.timedelta(days=rng.randrange(span))
            customer = rng.choice(CUSTOMERS)
            name = rng.choice(NAMES)
            net = Decimal(rng.randrange(1000, 500000)) / 100
            if pk % 5:
                vat = (net * Decimal("0.20")).quantize(Decimal("0.01"))
                total = net + vat
                piece = f"F{day.year}-{pk:07d}"
                label = f"Facture {piece} {name}"
                line_rows += [
                    (pk, dossier.pk, 1, "411000", "Clients", customer, name, label, total, 0, ""),
                    (pk, dossier.pk, 2, "706000", "Prestations de services", "", "", label, 0,
                     net, ""),
                    (pk, dossier.pk, 3, "445712", "TVA collectée 20 %", "", "", label, 0, vat,
                     ""),
                ]  # fmt: skip
                journal = "VE"
            else:
                total = net
                piece = f"R{day.year}-{pk:07d}"
                label = f"Règlement {piece} {name}"
                line_rows += [
                    (pk, dossier.pk, 1, "512000", "Banque", "", "", label, total, 0, ""),
                    (pk, dossier.pk, 2, "411000", "Clients", customer, name, label, 0, total, ""),
                ]
                journal = "BQ"
            entry_rows.append(
                (pk, dossier.pk, journal, day, closing, piece, day, label, total, "bench", pk, now)
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert_entry, entry_rows)
            cursor.executemany(insert_line, line_rows)
        lines_count += len(line_rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                [Entry._meta.db_table, entries],
            )
            cursor.execute("ANALYZE")
    return {
        "dossier_id": dossier.pk,
        "owner_id": owner.pk,
        "entries": entries,
        "lines": lines_count,
        "generate_seconds": round(time.perf_counter() - started, 1),
    }


def phase_collect(owner_id: int) -> dict[str, Any]:
    django_setup()
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from comptoir.accounting.actions_batches import batch_collect
    from comptoir.accounts.models import User
    from comptoir.audit.actions import Actor
    from comptoir.dossiers.access import dossier_access_for

    owner = User.objects.get(pk=owner_id)
    access = dossier_access_for(owner, SLUG)
    started = time.perf_counter()
    batch = batch_collect(actor=Actor(user=owner), access=access, up_to=timezone.localdate())
    return {
        "batch_id": batch.pk,
        "entries": batch.entries_count,
        "seconds": round(time.perf_counter() - started, 1),
        "fec_bytes": default_storage.size(batch.fec_path),
        "csv_bytes": default_storage.size(batch.csv_path),
        "peak_mib": round(peak_mib(), 1),
    }


def phase_export(batch_id: int, path: str) -> dict[str, Any]:
    django_setup()
    from comptoir.accounting import exports

    started = time.perf_counter()
    lines = 0
    with open(path, "wb") as handle:
        for chunk in exports.encoded(
            exports.fec_lines(exports.rows(exports.lines_of_batch(batch_id)))
        ):
            lines += chunk.count(b"\n")
            handle.write(chunk)
    return {
        "lines": lines - 1,
        "seconds": round(time.perf_counter() - started, 1),
        "bytes": os.path.getsize(path),
        "peak_mib": round(peak_mib(), 1),
    }


def phase_baseline(batch_id: int, path: str) -> dict[str, Any]:
    django_setup()
    import csv

    from django.utils import timezone

    from comptoir.accounting import exports
    from comptoir.accounting.models import Batch

    started = time.perf_counter()
    valid = timezone.localtime(Batch.objects.get(pk=batch_id).created_at).date()
    rows = list(exports.lines_of_batch(batch_id))
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="|", lineterminator="\r\n")
        writer.writerow(exports.FEC_COLUMNS)
        for row in rows:
            (journal, year_end, number, date, account, account_label, auxiliary,
             auxiliary_label, piece_ref, piece_date, label, debit, credit, lettering,
             lettered_on, _batch_id, _entry_id) = row  # fmt: skip
            writer.writerow(
                [
                    journal,
                    exports.JOURNAL_LABELS[journal],
                    f"{journal}{year_end.year}-{number:06d}",
                    f"{date:%Y%m%d}",
                    account,
                    account_label,
                    auxiliary,
                    auxiliary_label,
                    piece_ref,
                    f"{piece_date:%Y%m%d}",
                    label,
                    f"{debit:.2f}".replace(".", ","),
                    f"{credit:.2f}".replace(".", ","),
                    lettering,
                    f"{lettered_on:%Y%m%d}" if lettered_on else "",
                    f"{valid:%Y%m%d}",
                    "",
                    "",
                ]
            )
    return {
        "lines": len(rows),
        "load_seconds": round(load_seconds, 1),
        "write_seconds": round(time.perf_counter() - started, 1),
        "bytes": os.path.getsize(path),
        "peak_mib": round(peak_mib(), 1),
    }


PHASES = {
    "generate": lambda a: phase_generate(a.entries),
    "collect": lambda a: phase_collect(a.owner_id),
    "export": lambda a: phase_export(a.batch_id, a.path),
    "baseline": lambda a: phase_baseline(a.batch_id, a.path),
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
    g, c, e, b = (results[k] for k in ("generate", "collect", "export", "baseline"))
    mib = 2**20
    return "\n".join(
        [
            f"# Accounting: {g['entries']:,} entries ({g['lines']:,} lines) in one dossier",
            "",
            f"{m['when']} · {m['cores']} cores ({m['cpu']}) · Python {m['python']} · "
            f"commit {m['commit']} · database {results['database']} · "
            f"load average at start {m['load_average']}",
            "",
            f"Generated in {g['generate_seconds']} s (plain INSERTs).",
            "",
            "| what | seconds | peak memory (VmHWM) | file |",
            "|---|---:|---:|---:|",
            f"| `batch_collect` of all {c['entries']:,} entries (numbering UPDATE, FEC and "
            f"CSV written with their SHA-256) | {c['seconds']} | {c['peak_mib']} MiB "
            f"| FEC {c['fec_bytes'] / mib:.1f} MiB, CSV {c['csv_bytes'] / mib:.1f} MiB |",
            f"| the batch's FEC through `accounting.exports` (streamed from the database) "
            f"| {e['seconds']} | {e['peak_mib']} MiB | {e['bytes'] / mib:.1f} MiB |",
            f"| Python's csv writing the same rows from memory (write only) "
            f"| {b['write_seconds']} | {b['peak_mib']} MiB (rows held in memory) "
            f"| {b['bytes'] / mib:.1f} MiB |",
            f"| (loading those rows into memory first) | {b['load_seconds']} | | |",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--owner-id", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--batch-id", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--path", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return

    folder = Path(tempfile.mkdtemp(prefix="comptoir-bench-compta-"))
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
    }
    try:
        comptoir(env, "migrate", "-v", "0")
        results["generate"] = run_phase("generate", env, "--entries", str(args.entries))
        owner = str(results["generate"]["owner_id"])
        results["collect"] = run_phase("collect", env, "--owner-id", owner)
        batch = str(results["collect"]["batch_id"])
        results["export"] = run_phase(
            "export", env, "--batch-id", batch, "--path", str(folder / "export.txt")
        )
        results["baseline"] = run_phase(
            "baseline", env, "--batch-id", batch, "--path", str(folder / "baseline.txt")
        )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder}")
    RESULTS.mkdir(exist_ok=True)
    stem = "accounting_postgresql" if args.database_url else "accounting"
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    text = report(results)
    (RESULTS / f"{stem}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
