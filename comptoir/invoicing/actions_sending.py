"""Sending an issued invoice or credit note by email: the person's subject and message,
the Factur-X PDF attached, optionally a copy to themselves. The sending is recorded (an
`InvoiceSending` row: when, to whom, shown on the invoice page) with its audit event in
one transaction; the email leaves after commit, like every email of Comptoir (through
Django's mailer: SMTP, or the outbox when none is configured).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor, record
from comptoir.core.exceptions import ActionRefused
from comptoir.dossiers.access import DossierAccess

from .actions import edit_required
from .models import Invoice, InvoiceSending, InvoiceStatus
from .pdf import invoice_pdf, pdf_filename

__all__ = ["ActionRefused"]

SUBJECT_MAX_LENGTH = 200
MESSAGE_MAX_LENGTH = 10_000


@transaction.atomic
def invoice_send(
    *,
    actor: Actor,
    access: DossierAccess,
    invoice: Invoice,
    to: str,
    subject: str,
    message: str,
    copy_to_sender: bool = False,
) -> InvoiceSending:
    edit_required(access)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk, dossier=access.dossier)
    if invoice.status != InvoiceStatus.ISSUED:
        raise ActionRefused(_("Seule une facture émise peut être envoyée."))
    to = to.strip()
    try:
        validate_email(to)
    except ValidationError as error:
        raise ActionRefused(_("Cette adresse e-mail n'est pas valide.")) from error
    subject = " ".join(subject.split())[:SUBJECT_MAX_LENGTH]
    if not subject:
        raise ActionRefused(_("Donnez un objet au message."))
    if len(message) > MESSAGE_MAX_LENGTH:
        raise ActionRefused(_("Le message est trop long."))
    copy_to = actor.user.email if copy_to_sender and actor.user is not None else ""
    sending = InvoiceSending.objects.create(
        dossier=access.dossier,
        invoice=invoice,
        to=to,
        copy_to=copy_to,
        subject=subject,
        sent_by=actor.user,
    )
    record(
        actor=actor,
        action="invoice.sent",
        dossier=access.dossier,
        target=invoice,
        details={"to": to, "copy_to": copy_to},
    )
    attachment = (pdf_filename(invoice), invoice_pdf(invoice), "application/pdf")
    reply_to = [invoice.seller.get("email") or (actor.user.email if actor.user else "")]

    def send() -> None:
        email = EmailMultiAlternatives(
            subject=subject,
            body=message,
            to=[to],
            cc=[copy_to] if copy_to else [],
            reply_to=[address for address in reply_to if address],
        )
        html = render_to_string("email/from_text.html", {"body": message, "subject": subject})
        email.attach_alternative(html, "text/html")
        email.attach(*attachment)
        email.send()

    transaction.on_commit(send)
    return sending
