"""URL patterns of the capture app."""

from django.urls import URLPattern, URLResolver

from . import views_scan

app_name = "capture"

urlpatterns: list[URLPattern | URLResolver] = [*views_scan.urlpatterns]
