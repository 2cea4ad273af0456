"""The installable app: the web app manifest, the service worker at the root, the offline page.

`/sw.js` is served from the root so that its scope is the whole site (`/`) without a
Service-Worker-Allowed header. It is a template, not a static file: it names the hashed
static files it keeps for offline use, so a new release changes its bytes and browsers
install the new worker. Under the strict CSP it is a script of our own origin, loaded by
`static/comptoir/pwa.js` (no inline script anywhere).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME_COLOUR = "#123c52"
BACKGROUND_COLOUR = "#ffffff"
ICONS = [
    ("comptoir/icons/icon-192.png", "192x192", "any"),
    ("comptoir/icons/icon-512.png", "512x512", "any"),
    ("comptoir/icons/icon-maskable-192.png", "192x192", "maskable"),
    ("comptoir/icons/icon-maskable-512.png", "512x512", "maskable"),
]
# What the offline page needs, kept by the service worker at install.
OFFLINE_ASSETS = ["comptoir/comptoir.css", "comptoir/favicon.svg", "comptoir/pwa.js"]
# Where the share target posts (the service worker answers it, see pwa_sw.js).
SHARE_PATH = "/share/"
# Any file: PDFs, pictures, office documents, anything else.
SHARE_ACCEPT = ["*/*", "application/pdf", "image/*", "application/*", "text/*", "video/*"]


def manifest_data() -> dict[str, object]:
    return {
        "id": "/",
        "name": "Comptoir",
        "short_name": "Comptoir",
        "description": _("Le portail partagé du cabinet et de ses clients"),
        "lang": "fr",
        "dir": "ltr",
        # The home page: the person's dossiers (the login page first when signed out).
        "start_url": "/?source=app",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        # Web Share Target: the phone's Share menu lists the app for any file; the
        # service worker receives the POST (pwa_sw.js), the page is views_share.
        "share_target": {
            "action": SHARE_PATH,
            "method": "POST",
            "enctype": "multipart/form-data",
            "params": {
                "title": "title",
                "text": "text",
                "url": "url",
                "files": [{"name": "files", "accept": SHARE_ACCEPT}],
            },
        },
        "icons": [
            {"src": static(src), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for src, sizes, purpose in ICONS
        ],
    }


@require_GET
@cache_control(max_age=3600, public=True)
def manifest(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(manifest_data(), json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    config: dict[str, object] = {
        "offlineUrl": reverse("capture:offline"),
        "assets": [static(name) for name in OFFLINE_ASSETS],
        "store": static("comptoir/pwa_store.js"),
        "shareUrl": SHARE_PATH,
        "staticUrl": settings.STATIC_URL,
    }
    return render(
        request,
        "capture/pwa_sw.js",
        {"config": json.dumps(config), "version": _release(config)},
        content_type="text/javascript; charset=utf-8",
    )


def _release(config: dict[str, object]) -> str:
    """A digest of what the worker keeps: a changed file (even under the same name, as
    in the demo's unhashed static files) makes a new worker and a new cache."""
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    for name in [*OFFLINE_ASSETS, "comptoir/pwa_store.js"]:
        found = finders.find(name)
        if isinstance(found, str):
            digest.update(Path(found).read_bytes())
    return digest.hexdigest()[:16]


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker when a page cannot be reached; the same for everyone
    (it is kept by the worker), so it names no person and carries no form."""
    return render(request, "capture/pwa_offline.html")


urlpatterns: list[URLPattern] = [
    path("manifest.webmanifest", manifest, name="manifest"),
    path("sw.js", service_worker, name="service_worker"),
    path("offline/", offline, name="offline"),
]
