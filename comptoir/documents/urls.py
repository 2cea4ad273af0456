from . import views, views_search

app_name = "documents"

urlpatterns = [*views_search.urlpatterns, *views.urlpatterns]
