"""The client's address: `REMOTE_ADDR`, or behind trusted reverse proxies `X-Forwarded-For`.

With `TRUST_PROXY_HEADERS`, the `TRUSTED_PROXY_COUNT` proxies in front of Comptoir each
append the address they received the request from to `X-Forwarded-For`; the client is the
right-most address not written by them (`ips[-count]`). Whatever the client wrote itself is
to the left of it and never read. With fewer addresses than proxies (the request did not
come through them) or a value that is not an address, `REMOTE_ADDR` is kept. Without
`TRUST_PROXY_HEADERS` the header is ignored entirely.

One function for every reader: the activity log (`Actor.from_request`), share-link
throttling and access rows, and allauth's rate limits and sessions (`AccountAdapter`).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def ip_or_none(value: str | None) -> str | None:
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:51000"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    remote = ip_or_none(request.META.get("REMOTE_ADDR"))
    if not settings.TRUST_PROXY_HEADERS:
        return remote
    count = max(int(settings.TRUSTED_PROXY_COUNT), 1)
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        return remote
    return ip_or_none(forwarded[-count]) or remote
