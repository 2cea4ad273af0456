from . import views

app_name = "portability"

urlpatterns = views.urlpatterns
