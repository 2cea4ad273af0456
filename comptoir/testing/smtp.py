"""A real SMTP server on loopback for tests: it receives, parses and keeps every message.

Used by the browser tests (the demo server sends through it with EMAIL_URL) and usable by
unit tests with Django's SMTP backend::

    with SMTPTestServer() as smtp:
        # EMAIL_URL=smtp.url, or MAILERS={"default": {"BACKEND": "...smtp.EmailBackend",
        #                                 "OPTIONS": {"host": smtp.host, "port": smtp.port}}}
        ...
        message = smtp.wait_for_message(to="someone@example.test")
        assert "lien" in message.text

The conversation is a real one (aiosmtpd in a thread, on 127.0.0.1 and a free port picked
by the kernel), so what is tested is what a mail server would get on the wire.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Self

from aiosmtpd.controller import Controller

__all__ = ["ReceivedEmail", "SMTPTestServer", "html_part", "text_part"]


def _part(message: EmailMessage, subtype: str) -> str | None:
    body = message.get_body(preferencelist=(subtype,))
    if body is None or body.get_content_subtype() != subtype:
        return None
    # On the wire lines end with CRLF; tests compare with Python strings.
    return str(body.get_content()).replace("\r\n", "\n")


def text_part(message: EmailMessage) -> str | None:
    """The text/plain body of a parsed message, decoded; None if it has none."""
    return _part(message, "plain")


def html_part(message: EmailMessage) -> str | None:
    """The text/html body of a parsed message, decoded; None if it has none."""
    return _part(message, "html")


def _addresses(message: EmailMessage, header: str) -> list[str]:
    values = message.get_all(header) or []
    return [address.addr_spec.lower() for value in values for address in value.addresses]


@dataclass(frozen=True)
class ReceivedEmail:
    """One message as the server received it: the SMTP envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes = field(repr=False)
    message: EmailMessage = field(repr=False)

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def to(self) -> list[str]:
        """Addresses of the To header, lower-cased (the envelope is in `rcpt_tos`)."""
        return _addresses(self.message, "To")

    @property
    def text(self) -> str | None:
        return text_part(self.message)

    @property
    def html(self) -> str | None:
        return html_part(self.message)

    def is_for(self, address: str) -> bool:
        """Whether `address` is one of the envelope recipients (what SMTP delivers to)."""
        wanted = address.strip().lower()
        return any(recipient.lower() == wanted for recipient in self.rcpt_tos)


class _RecordingHandler:
    """aiosmtpd handler: parses each message and hands it to the server's inbox."""

    def __init__(self, deliver: Callable[[ReceivedEmail], None]) -> None:
        self._deliver = deliver

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self._deliver(
            ReceivedEmail(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=raw,
                message=parsed,
            )
        )
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """aiosmtpd's Controller, accepting port=0 (the kernel picks a free port, no race)."""

    def _trigger_server(self) -> None:
        # Called once the socket is bound, before the first connection: learn the port.
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        super()._trigger_server()


class SMTPTestServer:
    """A loopback SMTP server that keeps what it receives. Thread-safe; start it once.

    `messages` is a snapshot; `wait_for` / `wait_for_message` poll until a message
    matches (messages arrive from the server's thread, or from another process).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._messages: list[ReceivedEmail] = []
        self._controller = _FreePortController(
            _RecordingHandler(self._deliver),
            hostname=host,
            port=port,
            server_hostname="comptoir-test-smtp.localhost",
            ready_timeout=10.0,
        )
        self._started = False

    # --- life cycle ---------------------------------------------------------------------
    def start(self) -> Self:
        if self._started:
            raise RuntimeError("SMTPTestServer is already started (it cannot be restarted).")
        self._controller.start()
        self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self._controller.stop()
            self._started = False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- where it listens ---------------------------------------------------------------
    @property
    def host(self) -> str:
        return str(self._controller.hostname)

    @property
    def port(self) -> int:
        if not self._started:
            raise RuntimeError("SMTPTestServer is not started: no port yet.")
        return int(self._controller.port)

    @property
    def url(self) -> str:
        """For EMAIL_URL: plain SMTP, no TLS, no authentication."""
        return f"smtp://{self.host}:{self.port}"

    # --- what it received ---------------------------------------------------------------
    def _deliver(self, received: ReceivedEmail) -> None:
        with self._arrived:
            self._messages.append(received)
            self._arrived.notify_all()

    @property
    def messages(self) -> list[ReceivedEmail]:
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def wait_for(
        self, predicate: Callable[[ReceivedEmail], bool], timeout: float = 10.0
    ) -> ReceivedEmail:
        """The first received message for which `predicate` is true, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for received in self._messages:
                    if predicate(received):
                        return received
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    summary = [
                        f"{', '.join(m.rcpt_tos)}: {m.subject!r}" for m in self._messages
                    ] or ["(none)"]
                    raise TimeoutError(
                        f"No matching email within {timeout:g} s. Received: " + "; ".join(summary)
                    )
                self._arrived.wait(min(remaining, 0.5))

    def wait_for_message(
        self,
        to: str | None = None,
        *,
        subject_contains: str | None = None,
        timeout: float = 10.0,
    ) -> ReceivedEmail:
        """The first message delivered to `to` (envelope) whose subject contains the text."""

        def matches(received: ReceivedEmail) -> bool:
            if to is not None and not received.is_for(to):
                return False
            return subject_contains is None or subject_contains in received.subject

        return self.wait_for(matches, timeout=timeout)
