"""The demo's accounting: Always Clean's invoices, credit note and payments have their
entries, one batch is collected and later entries wait; the demo's FECs pass the checks."""

from __future__ import annotations

from comptoir.audit.actions import Actor
from comptoir.demo import demo_load
from comptoir.dossiers.access import dossier_access_for
from comptoir.invoicing.models import Invoice, InvoiceStatus, Payment

from ..actions_batches import batch_download
from ..exports import fec_lines, fec_name, lines_of_year, rows
from ..models import Batch, Entry, EntryLine
from . import fec_check

ACCOUNTANT = "comptable@cabinet-martin.test"


def test_demo_has_entries_a_batch_and_pending_entries(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert demo_load() is True
    clean = Entry.objects.filter(dossier__slug="always-clean")
    issued = Invoice.objects.filter(dossier__slug="always-clean", status=InvoiceStatus.ISSUED)
    payments = Payment.objects.filter(dossier__slug="always-clean")
    assert clean.filter(journal="VE").count() == issued.count()
    assert clean.filter(journal="BQ").count() == payments.count()
    (batch,) = Batch.objects.filter(dossier__slug="always-clean")
    assert batch.entries_count == clean.filter(batch=batch).count() > 0
    assert clean.filter(batch__isnull=True).exists()
    assert EntryLine.objects.filter(dossier__slug="always-clean").exclude(lettering="").exists()
    # The batch's FEC and the whole year's pass the administration's checks.
    staff = batch.created_by
    assert staff is not None
    assert staff.email == ACCOUNTANT
    access = dossier_access_for(staff, "always-clean")
    file, name = batch_download(actor=Actor(user=staff), access=access, batch=batch, format="fec")
    with file:
        assert fec_check.blocking(fec_check.check(name, file.read())) == []
    for closing in set(clean.values_list("fiscal_year_end", flat=True)):
        content = "".join(fec_lines(rows(lines_of_year(batch.dossier_id, closing)))).encode()
        anomalies = fec_check.check(fec_name(batch.dossier.siren, closing), content)
        assert fec_check.blocking(anomalies) == []
