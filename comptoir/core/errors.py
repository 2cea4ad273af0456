"""Error pages (400, 403, 404, 500) in the site's layout and the person's language.

Django's own 403 and 404 handlers render with the request (so with the account menu); its
400 and 500 handlers render without it. These two render with the request too, and fall back
to the bare template when that fails: a 500 may come from the database the layout reads.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)


def _render(request: HttpRequest, template_name: str, status: int) -> HttpResponse:
    template = loader.get_template(template_name)
    try:
        body = template.render({}, request)
    except Exception:  # The layout needs the database, the session…: show the bare page.
        logger.exception("Error page %s rendered without the request", status)
        body = template.render({})
    return HttpResponse(body, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _render(request, "400.html", 400)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    return _render(request, "500.html", 500)
