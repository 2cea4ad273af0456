"""Keep share-link tokens out of Comptoir's own logs.

Django logs the path of every 4xx/5xx answer ("Gone: /s/<token>/") and of every CSRF
refusal; for a share link the path is the secret. This filter rewrites those records
before any handler sees them. (A reverse proxy's access log is the operator's to set.)
"""

from __future__ import annotations

import logging
import re

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
