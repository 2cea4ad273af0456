from django.contrib import admin
from django.urls import include, path

from comptoir.core.i18n import language_set

urlpatterns = [
    path("", include("comptoir.core.urls")),
    path("", include("comptoir.dossiers.urls")),
    path("", include("comptoir.documents.urls")),
    path("", include("comptoir.sharing.urls")),
    path("", include("comptoir.notifications.urls")),
    path("", include("comptoir.assignments.urls")),
    path("", include("comptoir.audit.urls")),
    path("", include("comptoir.accounting.urls")),
    path("", include("comptoir.invoicing.urls")),
    path("", include("comptoir.capture.urls")),
    path("", include("comptoir.portability.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", language_set, name="set_language"),
    path("admin/", admin.site.urls),
]

handler400 = "comptoir.core.errors.bad_request"
handler500 = "comptoir.core.errors.server_error"
