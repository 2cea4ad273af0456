"""Benchmark: the invoice list of a dossier with 100,000 invoices, and one Factur-X PDF.

    uv run python bench/invoicing.py [--invoices 100000] [--database-url postgres://…] [--keep]

What it does, in a throwaway data folder (removed at the end unless --keep):
1. migrates, creates a dossier with its invoicing settings, 200 customers and a product
   (through the real actions), then generates `--invoices` issued invoices of one to
   three lines spread over four years (plain INSERTs in batches: rows written as drafts,
   then turned issued by one UPDATE, as the database's triggers refuse lines added to an
   issued invoice), with realistic totals, due dates and payments;
2. requests the list's pages as the owner, in process with Django's test client, DEBUG
   off: the first page, a deep page (keyset `before=` near the oldest), filtered by
   customer, by state (overdue, paid) and by period, each five times (median and max),
   with the number of SQL queries of each;
3. in a process of its own, issues one invoice of ten lines through the actions and makes
   its Factur-X PDF (WeasyPrint PDF/A-3b + the CII XML, XSD-checked) five times: the
   time of each and the process's peak memory (VmHWM), against the same process's peak
   before the first PDF.

Results go to bench/results/invoicing.json and .md (on PostgreSQL: invoicing_postgresql).
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
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SLUG = "factures-bench"
BATCH = 5_000
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


def _owner_access() -> tuple[Any, Any]:
    from comptoir.accounts.models import User
    from comptoir.audit.actions import Actor
    from comptoir.dossiers.access import dossier_access_for

    owner = User.objects.get(email="gerant@bench.test")
    return Actor(user=owner), dossier_access_for(owner, SLUG)


def phase_generate(count: int) -> dict[str, Any]:
    django_setup()
    from django.db import connection, transaction

    from comptoir.accounts.actions import user_create
    from comptoir.audit.actions import Actor
    from comptoir.dossiers.actions import dossier_create
    from comptoir.invoicing.actions import (
        customer_create,
        invoicing_settings_update,
        product_create,
    )
    from comptoir.invoicing.amounts import line_net, totals
    from comptoir.invoicing.models import Invoice, InvoiceLine
    from comptoir.invoicing.parties import buyer_snapshot, seller_snapshot

    started = time.perf_counter()
    owner = user_create(email="gerant@bench.test", password=PASSWORD, email_verified=True)
    dossier_create(actor=Actor(user=owner), name="Factures Bench", slug=SLUG, siren="732829320")
    actor, access = _owner_access()
    settings = invoicing_settings_update(
        actor=actor, access=access, legal_form="SARL", rcs="RCS Lyon", city="Lyon",
        postal_code="69002", address="1 rue de la Bourse", iban="FR7630006000011234567890189",
    )  # fmt: skip
    customers = [
        customer_create(actor=actor, access=access, name=f"Client {n:03d}", siren="552100554")
        for n in range(200)
    ]
    product_create(actor=actor, access=access, name="Conseil", unit_price=Decimal("80.00"))
    seller = seller_snapshot(settings)
    buyers = {c.pk: buyer_snapshot(c) for c in customers}
    rng = random.Random(42)
    today = datetime.date.today()
    start = today - datetime.timedelta(days=4 * 365)
    step = (today - start).days / count
    rates = ["20.00", "20.00", "10.00", "5.50"]
    with transaction.atomic():
        for first in range(0, count, BATCH):
            invoices, specs = [], []
            for n in range(first, min(first + BATCH, count)):
                day = start + datetime.timedelta(days=int(n * step))
                customer = customers[rng.randrange(len(customers))]
                lines = []
                for position in range(rng.randint(1, 3)):
                    quantity = Decimal(rng.randint(1, 40))
                    price = Decimal(rng.randint(500, 50000)) / 100
                    line = InvoiceLine(
                        position=position, designation="Prestation", quantity=quantity,
                        unit="HUR", unit_price=price, vat_rate=rng.choice(rates),
                        net_amount=line_net(quantity=quantity, unit_price=price),
                        revenue_account="706000",
                    )  # fmt: skip
                    lines.append(line)
                result = totals(lines)
                due = day + datetime.timedelta(days=30)
                paid = result.gross if due < today - datetime.timedelta(days=20) else Decimal(0)
                if rng.random() < 0.05:
                    paid = Decimal(0)  # some never paid: overdue
                invoices.append(
                    Invoice(
                        dossier_id=access.dossier.pk,
                        customer_id=customer.pk,
                        status="draft",
                        number=f"F-{day.year}-{n + 1:06d}",
                        issue_date=day,
                        sale_date=day,
                        due_date=due,
                        category="services",
                        seller=seller,
                        buyer=buyers[customer.pk],
                        total_net=result.net,
                        total_vat=result.vat,
                        total_gross=result.gross,
                        vat_breakdown=[r.as_json() for r in result.rates],
                        amount_paid=paid,
                        balance_due=result.gross - paid,
                    )
                )
                specs.append(lines)
            Invoice.objects.bulk_create(invoices, batch_size=1000)
            for invoice, lines in zip(invoices, specs, strict=True):
                for line in lines:
                    line.invoice_id = invoice.pk
            InvoiceLine.objects.bulk_create(
                [line for lines in specs for line in lines], batch_size=2000
            )
        Invoice.objects.filter(dossier=access.dossier).update(status="issued")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "invoices": Invoice.objects.filter(dossier=access.dossier).count(),
        "lines": InvoiceLine.objects.filter(invoice__dossier=access.dossier).count(),
        "seconds": round(time.perf_counter() - started, 1),
        "customer_id": customers[7].pk,
        "peak_mib": round(peak_mib(), 1),
    }


def phase_pages(customer_id: int) -> dict[str, Any]:
    django_setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from comptoir.accounts.models import User
    from comptoir.invoicing.models import Invoice

    client = Client()
    client.force_login(User.objects.get(email="gerant@bench.test"))
    url = reverse("invoicing:invoice_list", args=[SLUG])
    ids = Invoice.objects.filter(dossier__slug=SLUG).order_by("id").values_list("id", flat=True)
    deep = ids[len(ids) // 20]
    year_ago = datetime.date.today() - datetime.timedelta(days=365)
    cases = {
        "first page": {},
        "deep page (before= an old invoice)": {"before": str(deep)},
        "filtered by customer": {"customer": str(customer_id)},
        "filtered by customer, deep page": {"customer": str(customer_id), "before": str(deep)},
        "filtered by state: overdue": {"state": "overdue"},
        "filtered by state: paid": {"state": "paid"},
        "filtered by period (one month, a year ago)": {
            "start": year_ago.isoformat(),
            "end": (year_ago + datetime.timedelta(days=30)).isoformat(),
        },
    }
    results = {}
    for name, params in cases.items():
        times, queries, rows = [], 0, 0
        for _ in range(REPEAT):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, params)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
            queries = len(captured.captured_queries)
            rows = response.content.count(b'<th scope="row"')
        results[name] = {
            "median_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1),
            "queries": queries,
            "rows_on_page": rows,
        }
    return {"cases": results}


def phase_pdf() -> dict[str, Any]:
    django_setup()
    from comptoir.invoicing.actions_invoices import invoice_create, invoice_issue
    from comptoir.invoicing.facturx_xml import invoice_xml
    from comptoir.invoicing.lines import LineSpec
    from comptoir.invoicing.models import Customer
    from comptoir.invoicing.pdf import invoice_pdf

    actor, access = _owner_access()
    customer = Customer.objects.filter(dossier=access.dossier).first()
    assert customer is not None
    lines = [
        LineSpec(
            designation=f"Prestation {n}",
            quantity=Decimal(n + 1),
            unit_price=Decimal("47.35"),
            vat_rate=["20.00", "10.00", "5.50"][n % 3],
            discount=Decimal("1.00") if n % 4 == 0 else Decimal(0),
        )
        for n in range(10)
    ]
    draft = invoice_create(actor=actor, access=access, customer=customer, lines=lines)
    invoice = invoice_issue(actor=actor, access=access, invoice=draft)
    before = peak_mib()
    times, size = [], 0
    for _ in range(REPEAT):
        started = time.perf_counter()
        pdf = invoice_pdf(invoice)
        times.append(time.perf_counter() - started)
        size = len(pdf)
    xml_started = time.perf_counter()
    invoice_xml(invoice)
    return {
        "median_s": round(statistics.median(times), 3),
        "first_s": round(times[0], 3),
        "max_s": round(max(times), 3),
        "xml_ms": round((time.perf_counter() - xml_started) * 1000, 1),
        "bytes": size,
        "peak_before_mib": round(before, 1),
        "peak_mib": round(peak_mib(), 1),
    }


PHASES = {
    "generate": lambda a: phase_generate(a.invoices),
    "pages": lambda a: phase_pages(a.customer_id),
    "pdf": lambda a: phase_pdf(),
}


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
    m, g, p, f = (results[k] for k in ("machine", "generate", "pages", "pdf"))
    lines = [
        f"# Invoicing: {g['invoices']:,} invoices in one dossier",
        "",
        f"{m['when']} · {m['cores']} cores ({m['cpu']}) · Python {m['python']} · "
        f"commit {m['commit']} · database {results['database']} · "
        f"load average at start {m['load_average']}",
        "",
        f"Generated {g['invoices']:,} issued invoices ({g['lines']:,} lines) in {g['seconds']} s.",
        "",
        "## The list (`/d/<slug>/invoices/`, 50 a page, as the owner, DEBUG off)",
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
        "## One Factur-X PDF (10 lines, three VAT rates; WeasyPrint PDF/A-3b + CII XML)",
        "",
        f"- time: median {f['median_s']} s of {REPEAT} (first {f['first_s']} s, "
        f"max {f['max_s']} s); the XML alone {f['xml_ms']} ms; {f['bytes'] / 1024:.0f} KiB",
        f"- peak memory of the process (VmHWM): {f['peak_mib']} MiB, "
        f"of which {f['peak_before_mib']} MiB before the first PDF (Django loaded, "
        "invoice issued)",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--customer-id", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return

    folder = Path(tempfile.mkdtemp(prefix="comptoir-bench-invoicing-"))
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
        comptoir(env, "collectstatic", "--noinput", "-v", "0")  # DEBUG off: the manifest
        results["generate"] = run_phase("generate", env, "--invoices", str(args.invoices))
        customer = str(results["generate"]["customer_id"])
        results["pages"] = run_phase("pages", env, "--customer-id", customer)
        results["pdf"] = run_phase("pdf", env)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder}")
    RESULTS.mkdir(exist_ok=True)
    stem = "invoicing_postgresql" if args.database_url else "invoicing"
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    text = report(results)
    (RESULTS / f"{stem}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
