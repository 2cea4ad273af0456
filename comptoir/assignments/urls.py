"""Each views module owns its URL patterns (like dossiers/)."""

from . import views, views_approval, views_reminders, views_templates

app_name = "assignments"

urlpatterns = [
    *views.urlpatterns,
    *views_approval.urlpatterns,
    *views_reminders.urlpatterns,
    *views_templates.urlpatterns,
]
