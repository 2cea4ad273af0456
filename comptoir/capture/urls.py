"""URL patterns of the capture app: the installable app, share target, resumable uploads and
the scanner."""

from django.urls import URLPattern, URLResolver

from . import views_pwa, views_scan, views_share, views_tus

app_name = "capture"

urlpatterns: list[URLPattern | URLResolver] = [
    *views_pwa.urlpatterns,
    *views_share.urlpatterns,
    *views_tus.urlpatterns,
    *views_scan.urlpatterns,
]
