"""URL patterns of the accounting app."""

from django.urls import URLPattern, URLResolver

app_name = "accounting"

urlpatterns: list[URLPattern | URLResolver] = []
