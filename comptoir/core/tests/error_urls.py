"""The site's URLs plus views that fail, for the error-page tests."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from comptoir.urls import handler400, handler500, urlpatterns

__all__ = ["handler400", "handler500", "urlpatterns"]


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom: secret detail")


def refuses(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def bad(request: HttpRequest) -> HttpResponse:
    raise BadRequest("secret detail")


urlpatterns = [
    *urlpatterns,
    path("test-errors/500/", fails),
    path("test-errors/403/", refuses),
    path("test-errors/400/", bad),
]
