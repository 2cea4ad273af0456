"""Keep share-link tokens out of Comptoir's own logs.

Django logs the path of every 4xx/5xx answer ("Gone: /s/<token>/") and of every CSRF
refusal; for a share link the path is the secret. This filter rewrites those records
before any handler sees them. Gunicorn's access log (`comptoir serve`) is written by
`AccessLogger`, which masks the token in every field of the line (request line, path,
query, Referer and the other headers). A reverse proxy's access log is the operator's to
set.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote

from gunicorn.glogging import Logger as GunicornLogger

TOKEN_PATH = re.compile(r"/s/[^/\s\"']+")
REDACTED = "/s/[lien]"
# Loggers that write request paths. Filters on a logger apply to the records it emits
# itself, which is how Django emits these.
LOGGERS = ("django.request", "django.security.csrf", "django.server", "django.security")


class TokenRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to judge
            return True
        if "/s/" in message:
            record.msg = TOKEN_PATH.sub(REDACTED, message)
            record.args = None
        return True


_FILTER = TokenRedactingFilter()


def install_token_redaction() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def redact(value: str) -> str:
    return TOKEN_PATH.sub(REDACTED, value) if "/s/" in value else value


class AccessLogger(GunicornLogger):
    """Gunicorn's logger (`--logger-class`), with share-link tokens masked in its access log."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # Gunicorn's own errors name the request's URI ("Error handling request /s/…").
        for logger in (self.error_log, self.access_log):
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        cleaned = {
            key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
        }
        # The raw request line may spell the path with escapes (/%73/<token>/) that
        # Django decodes before routing: a share-link path is logged decoded and masked.
        path = environ.get("PATH_INFO") or ""
        raw = str(environ.get("RAW_URI") or "")
        if unquote(raw.split("?", 1)[0]).startswith("/s/") or path.startswith("/s/"):
            query = redact(unquote(environ.get("QUERY_STRING") or ""))
            shown = redact(path) + (f"?{query}" if query else "")
            cleaned["r"] = (
                f"{environ.get('REQUEST_METHOD')} {shown} {environ.get('SERVER_PROTOCOL')}"
            )
            cleaned["{raw_uri}e"] = shown
        return cleaned
