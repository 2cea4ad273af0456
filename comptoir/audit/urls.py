"""The activity log's pages (the views module owns its URL patterns, like assignments/)."""

from . import views, views_export

app_name = "audit"

urlpatterns = [*views.urlpatterns, *views_export.urlpatterns]
