"""URL patterns of the accounting app."""

from django.urls import URLPattern, URLResolver

from . import views

app_name = "accounting"

urlpatterns: list[URLPattern | URLResolver] = [*views.urlpatterns]
