"""URL patterns of the invoicing app: each views module owns its patterns."""

from . import views, views_parties, views_quotes

app_name = "invoicing"

urlpatterns = [*views.urlpatterns, *views_quotes.urlpatterns, *views_parties.urlpatterns]
