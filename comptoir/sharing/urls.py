from . import views, views_public

app_name = "sharing"

urlpatterns = [*views.urlpatterns, *views_public.urlpatterns]
