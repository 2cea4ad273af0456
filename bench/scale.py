"""Benchmark: a firm serving a thousand dossiers, and the pages its accountant opens.

    uv run python bench/scale.py [--dossiers 1000] [--documents 500] [--tasks 100]
                                 [--events 5000] [--invoices 100]
                                 [--database-url postgres://…] [--keep]

(the counts after --dossiers are per dossier: the defaults are issue 18's firm, 500,000
documents, 100,000 tasks, 5,000,000 events and 100,000 invoices.)

What it does, in a throwaway data folder (removed at the end unless --keep):
1. generates the firm (phase `generate`, one child process):
   - the dossiers, their owners (accounts without a password), the firm and its access
     to each dossier, through the real actions (`dossier_create`, `firm_access_grant`):
     owner membership, folders, hash chains, as the app makes them;
   - per dossier, the invoicing settings, one customer and `--invoices` invoices issued
     through `invoice_create` / `invoice_issue`: numbers without gap, frozen totals and
     balanced ledger entries come from the code that makes them in production (the
     slowest part: the issue path is not a bulk path, on purpose);
   - documents in bulk: small files stored under `documents/<dossier>/<uuid>` with their
     SHA-256, one version each, indexed for search by `search_body` (the same words
     `document_index` writes);
   - tasks in bulk: upload tasks with three steps and the owner as assignee;
   - events in bulk, chained: each dossier's chain is continued from its head
     (`AuditChain`) with `audit.chain.event_hash`, as bench/audit_log.py does, then the
     chains are verified (`chains_verify`);
2. measures (phase `pages`, DEBUG off, in process with Django's test client, as the
   firm's accountant) each page's median server time over REPEAT requests and its number
   of SQL queries, against a bare view rendering the base layout (`base.html`) in the same
   run, and writes bench/results/scale.md and .json (scale_postgresql.* on PostgreSQL).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
REPEAT = 7
BATCH = 5_000
STAFF = "comptable@cabinet-bench.test"

sys.path.insert(0, str(ROOT))


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    import django

    django.setup()


def _slug(number: int) -> str:
    return f"client-{number:05d}"


# --- Generation -----------------------------------------------------------------------------


def _firm(dossiers: int, invoices: int) -> tuple[Any, list[Any]]:
    from django.utils import timezone

    from comptoir.accounts.actions import user_create
    from comptoir.audit.actions import Actor
    from comptoir.dossiers.access import dossier_access_for
    from comptoir.dossiers.actions import dossier_create, firm_access_grant, firm_create
    from comptoir.invoicing.actions import customer_create, invoicing_settings_update
    from comptoir.invoicing.actions_invoices import invoice_create, invoice_issue
    from comptoir.invoicing.lines import LineSpec

    staff = user_create(email=STAFF, password="bench-" + uuid.uuid4().hex, email_verified=True)
    firm = firm_create(actor=Actor(user=staff), name="Cabinet Bench")
    today = timezone.localdate()
    made = []
    for number in range(dossiers):
        owner = user_create(email=f"gerant{number}@client-bench.test", password=None)
        dossier = dossier_create(
            actor=Actor(user=owner),
            name=f"Client {number:05d} SARL",
            siren="732829320",
            slug=_slug(number),
        )
        who = {"actor": Actor(user=owner), "access": dossier_access_for(owner, dossier.slug)}
        firm_access_grant(**who, firm=firm)
        if invoices:
            invoicing_settings_update(
                **who,
                legal_form="SARL",
                share_capital=Decimal("10000.00"),
                rcs="RCS Lyon",
                address="1 rue de la Paix",
                postal_code="69002",
                city="Lyon",
                vat_number="FR44732829320",
                email="factures@client-bench.test",
            )
            customer = customer_create(
                **who,
                name="Boulangerie Durand",
                address="2 place Bellecour",
                postal_code="69002",
                city="Lyon",
                email="compta@durand.test",
                siren="552100554",
            )
            for n in range(invoices):
                draft = invoice_create(
                    **who,
                    customer=customer,
                    lines=[
                        LineSpec(
                            designation=f"Prestation {n}",
                            quantity=Decimal(1 + n % 5),
                            unit_price=Decimal("120.00"),
                            vat_rate="20.00",
                        )
                    ],
                )
                issued = invoice_issue(
                    **who,
                    invoice=draft,
                    issue_date=today - datetime.timedelta(days=invoices - n),
                )
                _entry(issued)
        made.append((dossier, owner))
    return staff, made


def _entry(invoice: Any) -> None:
    """The sale's entry, posted by the ledger's own action (balanced, checked there):
    invoicing does not post it yet, the firm's ledger must still hold one per invoice."""
    from django.db import transaction

    from comptoir.accounting.actions import EntryLineSpec, entry_post

    with transaction.atomic():
        entry_post(
            dossier=invoice.dossier,
            journal="VE",
            on=invoice.issue_date,
            piece_ref=invoice.number,
            piece_date=invoice.issue_date,
            label=f"Facture {invoice.number} {invoice.customer.name}",
            lines=[
                EntryLineSpec(account="411000", debit=invoice.total_gross, auxiliary="CDURAND"),
                EntryLineSpec(account="706000", credit=invoice.total_net),
                EntryLineSpec(account="445712", credit=invoice.total_vat),
            ],
            source="invoice",
            source_id=invoice.pk,
        )


def _documents(made: list[Any], per_dossier: int) -> int:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import connection, transaction

    from comptoir.documents.models import Document, DocumentVersion
    from comptoir.documents.search import _sql, search_body

    total = 0
    for dossier, owner in made:
        with transaction.atomic():
            documents = Document.objects.bulk_create(
                Document(dossier=dossier, name=f"Relevé de banque {n:04d}.txt", created_by=owner)
                for n in range(per_dossier)
            )
            versions = []
            for document in documents:
                data = f"Relevé {document.pk} de {dossier.name}\n".encode()
                name = default_storage.save(
                    f"documents/{dossier.pk}/{uuid.uuid4().hex}", ContentFile(data)
                )
                versions.append(
                    DocumentVersion(
                        document=document,
                        number=1,
                        storage_name=name,
                        original_name=document.name,
                        size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(),
                        mime_type="text/plain",
                        uploaded_by=owner,
                    )
                )
            DocumentVersion.objects.bulk_create(versions)
            for document, version in zip(documents, versions, strict=True):
                document.current_version = version
                document.text_content = f"Relevé de banque {dossier.name} solde créditeur"
            Document.objects.bulk_update(documents, ["current_version", "text_content"])
            key = str(dossier.pk) if connection.vendor == "sqlite" else dossier.pk
            with connection.cursor() as cursor:
                cursor.executemany(
                    _sql("insert"),
                    [(d.pk, key, search_body(name=d.name, text=d.text_content)) for d in documents],
                )
        total += len(documents)
    return total


def _tasks(staff: Any, made: list[Any], per_dossier: int) -> int:
    from django.db import transaction
    from django.utils import timezone

    from comptoir.assignments.models import Step, Task, TaskAssignee, TaskKind

    today = timezone.localdate()
    total = 0
    for dossier, owner in made:
        with transaction.atomic():
            tasks = Task.objects.bulk_create(
                Task(
                    dossier=dossier,
                    kind=TaskKind.UPLOAD,
                    title=f"Pièces du mois {n + 1}",
                    message="Merci de déposer les relevés et factures du mois.",
                    due_date=today + datetime.timedelta(days=n * 7 - 10),
                    created_by=staff,
                )
                for n in range(per_dossier)
            )
            Step.objects.bulk_create(
                Step(task=task, position=p, title=title)
                for task in tasks
                for p, title in enumerate(["Relevés", "Factures d'achat", "Factures de vente"])
            )
            TaskAssignee.objects.bulk_create(TaskAssignee(task=task, user=owner) for task in tasks)
        total += len(tasks)
    return total


EVENT_COLUMNS = (
    "dossier_id", "seq", "created_at", "actor_id", "actor_label", "action", "object_type",
    "object_id", "object_repr", "ip", "user_agent", "details", "prev_hash", "hash",
)  # fmt: skip
ACTIONS = [
    ("document.uploaded", "documents.document"),
    ("document.viewed", "documents.document"),
    ("document.downloaded", "documents.document"),
    ("task.created", "assignments.task"),
    ("step.completed", "assignments.step"),
]


def _events(staff: Any, made: list[Any], per_dossier: int) -> int:
    """Each dossier's chain continued from its head; events interleaved across dossiers
    in time (a firm's log is many dossiers at once), inserted in plain batches."""
    from django.db import connection, transaction
    from django.utils import timezone

    from comptoir.audit.chain import chain_key, event_hash
    from comptoir.audit.models import AuditChain, AuditEvent

    heads = {c.key: c for c in AuditChain.objects.all()}
    chains = {d.pk: heads[chain_key(d.pk)] for d, _owner in made}
    state = {pk: [c.last_seq, c.last_hash] for pk, c in chains.items()}
    # The table and column names are the model's own, never input.
    insert = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        AuditEvent._meta.db_table, ", ".join(EVENT_COLUMNS), ", ".join(["%s"] * len(EVENT_COLUMNS))
    )
    rng = random.Random(18)
    end = timezone.now()
    total = per_dossier * len(made)
    start = end - datetime.timedelta(days=365)
    step = (end - start) / max(total, 1)
    owners = {d.pk: owner for d, owner in made}
    order = [d.pk for d, _owner in made for _ in range(per_dossier)]
    rng.shuffle(order)
    done = 0
    while done < total:
        rows = []
        with transaction.atomic():
            for dossier_id in order[done : done + BATCH]:
                done += 1
                seq, previous = state[dossier_id]
                action, object_type = rng.choice(ACTIONS)
                actor = owners[dossier_id] if done % 3 else staff
                values = {
                    "dossier_id": dossier_id,
                    "seq": seq + 1,
                    "created_at": start + step * done,
                    "actor_id": actor.pk,
                    "actor_label": actor.email,
                    "action": action,
                    "object_type": object_type,
                    "object_id": str(rng.randrange(1, 5000)),
                    "object_repr": f"Relevé {rng.randrange(1, 5000)}.pdf",
                    "ip": f"203.0.113.{rng.randrange(1, 255)}",
                    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
                    "details": {},
                    "prev_hash": previous,
                }
                values["hash"] = event_hash(values)
                state[dossier_id] = [seq + 1, values["hash"]]
                rows.append(
                    tuple(
                        json.dumps(values[c])
                        if c == "details"
                        else connection.ops.adapt_datetimefield_value(values[c])
                        if c == "created_at"
                        else values[c]
                        for c in EVENT_COLUMNS
                    )
                )
            with connection.cursor() as cursor:
                cursor.executemany(insert, rows)
    with transaction.atomic():
        for pk, chain in chains.items():
            AuditChain.objects.filter(pk=chain.pk).update(
                last_seq=state[pk][0], last_hash=state[pk][1]
            )
    return total


def phase_generate(args: argparse.Namespace) -> dict[str, Any]:
    django_setup()
    from django.db import connection
    from django.db.models import F, Sum

    from comptoir.accounting.models import Entry, EntryLine
    from comptoir.audit.chain import chains_verify
    from comptoir.invoicing.models import Invoice

    timings: dict[str, float] = {}
    started = time.perf_counter()
    staff, made = _firm(args.dossiers, args.invoices)
    timings["dossiers, firm, invoices (actions)"] = time.perf_counter() - started
    mark = time.perf_counter()
    documents = _documents(made, args.documents)
    timings["documents (bulk, files stored)"] = time.perf_counter() - mark
    mark = time.perf_counter()
    tasks = _tasks(staff, made, args.tasks)
    timings["tasks (bulk)"] = time.perf_counter() - mark
    mark = time.perf_counter()
    events = _events(staff, made, args.events)
    timings["events (bulk, chained)"] = time.perf_counter() - mark
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    mark = time.perf_counter()
    report = chains_verify()
    timings["chains_verify (all)"] = time.perf_counter() - mark
    unbalanced = (
        EntryLine.objects.values("entry")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .exclude(debit=F("credit"))
        .count()
    )
    return {
        "dossiers": len(made),
        "documents": documents,
        "tasks": tasks,
        "events_generated": events,
        "events_total": report.events,
        "chains_hold": report.broken is None,
        "invoices": Invoice.objects.exclude(number=None).count(),
        "entries": Entry.objects.count(),
        "entries_unbalanced": unbalanced,
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
        "slug": made[len(made) // 2][0].slug,
    }


# --- Measuring --------------------------------------------------------------------------------


def phase_pages(args: argparse.Namespace) -> dict[str, Any]:
    django_setup()
    import types

    from django.conf import settings
    from django.contrib.auth.decorators import login_required
    from django.db import connection
    from django.shortcuts import render
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import clear_url_caches, include, path, reverse

    from comptoir.accounts.models import User
    from comptoir.audit.models import AuditEvent

    @login_required
    def bare(request: Any) -> Any:
        return render(request, "base.html", {})

    urls = types.ModuleType("scale_bench_urls")
    urls.urlpatterns = [path("bench-bare/", bare), path("", include(settings.ROOT_URLCONF))]  # type: ignore[attr-defined]
    sys.modules["scale_bench_urls"] = urls
    settings.ROOT_URLCONF = "scale_bench_urls"
    clear_url_caches()

    slug = args.slug
    client = Client()
    client.force_login(User.objects.get(email=STAFF))
    deep_across = AuditEvent.objects.order_by("id").values_list("id", flat=True)[
        AuditEvent.objects.count() // 10
    ]
    deep_dossier = (
        AuditEvent.objects.filter(dossier__slug=slug).order_by("id").values_list("id", flat=True)[5]
    )
    cases: list[tuple[str, str, dict[str, str], dict[str, str]]] = [
        ("bare view rendering base.html (reference)", "/bench-bare/", {}, {}),
        ("accountant's home /comptable/", reverse("dossiers:accountant_home"), {}, {}),
        ("board across dossiers", reverse("assignments:board"), {}, {}),
        ("switcher search (htmx)", reverse("dossiers:switcher"), {"q": "Client 004"},
         {"HTTP_HX_REQUEST": "true"}),
        ("dossier home", reverse("dossiers:dossier_home", args=[slug]), {}, {}),
        ("documents list", reverse("documents:document_list", args=[slug]), {}, {}),
        ("search by content", reverse("documents:search", args=[slug]), {"q": "solde"}, {}),
        ("tasks of a dossier", reverse("assignments:task_list", args=[slug]), {}, {}),
        ("log of a dossier, first page", reverse("audit:dossier_log", args=[slug]), {}, {}),
        ("log of a dossier, deep page", reverse("audit:dossier_log", args=[slug]),
         {"before": str(deep_dossier)}, {}),
        ("log across dossiers, first page", reverse("audit:log_across"), {}, {}),
        ("log across dossiers, deep page", reverse("audit:log_across"),
         {"before": str(deep_across)}, {}),
        ("invoices list", reverse("invoicing:invoice_list", args=[slug]), {}, {}),
        ("entries list", reverse("accounting:entry_list", args=[slug]), {}, {}),
    ]  # fmt: skip
    results = {}
    for name, url, query, headers in cases:
        client.get(url, query, **headers)  # warm up
        seconds, counts = [], []
        for _ in range(REPEAT):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get(url, query, **headers)
                seconds.append(time.perf_counter() - began)
            counts.append(len(queries.captured_queries))
            if response.status_code != 200:
                raise RuntimeError(f"{name}: HTTP {response.status_code}")
        results[name] = {
            "median_ms": round(statistics.median(seconds) * 1000, 1),
            "queries": max(counts),
            "bytes": len(response.content),
        }
    return {"cases": results}


PHASES = {"generate": phase_generate, "pages": phase_pages}


# --- The conductor ----------------------------------------------------------------------------


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
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "commit": commit,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def report(results: dict[str, Any]) -> str:
    m, g, p = results["machine"], results["generate"], results["pages"]["cases"]
    base = p["bare view rendering base.html (reference)"]["median_ms"]
    lines = [
        f"# A firm of {g['dossiers']:,} dossiers",
        "",
        f"{m['when']} · {m['cores']} cores · Python {m['python']} · commit {m['commit']} · "
        f"database {results['database']} · load average at start {m['load_average']} "
        "(a machine shared with other work: compare the ratios, not the milliseconds)",
        "",
        f"Per dossier: {results['size']}. In all: {g['documents']:,} documents, "
        f"{g['tasks']:,} tasks, {g['events_total']:,} events (chains hold: "
        f"{g['chains_hold']}), {g['invoices']:,} issued invoices, {g['entries']:,} ledger "
        f"entries (unbalanced: {g['entries_unbalanced']}).",
        "",
        "Generation: "
        + ", ".join(f"{name} {seconds} s" for name, seconds in g["timings_s"].items()),
        "",
        f"## Pages (as the firm's accountant, DEBUG off, median of {REPEAT})",
        "",
        "| page | median ms | ratio to the bare view | SQL queries | bytes |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, case in p.items():
        ratio = case["median_ms"] / base if base else float("nan")
        lines.append(
            f"| {name} | {case['median_ms']} | {ratio:.1f} | {case['queries']} "
            f"| {case['bytes']:,} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000)
    parser.add_argument("--documents", type=int, default=500, help="per dossier")
    parser.add_argument("--tasks", type=int, default=100, help="per dossier")
    parser.add_argument("--events", type=int, default=5_000, help="per dossier")
    parser.add_argument("--invoices", type=int, default=100, help="per dossier")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--output", default="", help="results file stem (default scale)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse",
        default="",
        help="a folder kept by --keep: measure the pages again on its data, no generation",
    )
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--slug", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return

    folder = Path(args.reuse or tempfile.mkdtemp(prefix="comptoir-bench-scale-"))
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
    counts = [
        *("--dossiers", str(args.dossiers), "--documents", str(args.documents)),
        *("--tasks", str(args.tasks), "--events", str(args.events)),
        *("--invoices", str(args.invoices)),
    ]
    try:
        if args.reuse:
            results.update(json.loads((folder / "generated.json").read_text()))
        else:
            results["size"] = (
                f"{args.documents} documents, {args.tasks} tasks, {args.events} events, "
                f"{args.invoices} invoices"
            )
            comptoir(env, "migrate", "-v", "0")
            results["generate"] = run_phase("generate", env, *counts)
            generated = {"size": results["size"], "generate": results["generate"]}
            (folder / "generated.json").write_text(json.dumps(generated))
        comptoir(env, "collectstatic", "--noinput", "-v", "0")  # DEBUG off: the manifest
        results["pages"] = run_phase("pages", env, "--slug", results["generate"]["slug"])
    finally:
        if not (args.keep or args.reuse):
            shutil.rmtree(folder, ignore_errors=True)
        elif args.keep:
            print(f"kept {folder}")
    RESULTS.mkdir(exist_ok=True)
    stem = args.output or ("scale_postgresql" if args.database_url else "scale")
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    text = report(results)
    (RESULTS / f"{stem}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
