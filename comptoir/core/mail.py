"""Email helpers: one place that renders HTML + text emails, and the outbox backend."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def render_email(
    *, template_prefix: str, context: Mapping[str, Any], language: str | None = None
) -> tuple[str, str, str]:
    """Render `<prefix>_subject.txt`, `<prefix>_message.txt` and `<prefix>_message.html`."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"{template_prefix}_subject.txt", dict(context))
        text = render_to_string(f"{template_prefix}_message.txt", dict(context))
        html = render_to_string(f"{template_prefix}_message.html", dict(context))
    return " ".join(subject.split()), str(text), str(html)


def email_send(
    *,
    template_prefix: str,
    to: Sequence[str],
    context: Mapping[str, Any],
    language: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    subject, text, html = render_email(
        template_prefix=template_prefix, context=context, language=language
    )
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=list(to), headers=dict(headers or {})
    )
    message.attach_alternative(html, "text/html")
    message.send()


class OutboxEmailBackend(BaseEmailBackend):
    """Keeps every message in the OutboxEmail table instead of sending it."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        from .models import OutboxEmail

        count = 0
        for message in email_messages:
            html = ""
            for content, mimetype in getattr(message, "alternatives", []) or []:
                if mimetype == "text/html":
                    html = str(content)
            recipients = ", ".join(message.recipients())
            OutboxEmail.objects.create(
                from_email=str(message.from_email),
                to=recipients,
                subject=str(message.subject),
                body_text=str(message.body),
                body_html=html,
                headers={str(k): str(v) for k, v in (message.extra_headers or {}).items()},
            )
            logger.info("Email kept in the outbox for %s: %s", recipients, message.subject)
            count += 1
        return count
