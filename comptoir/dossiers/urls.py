"""Every dossier page lives under /d/<slug>/ so two tabs can work on two dossiers at once.

Each views module owns its patterns; a /d/<slug>/ view must be wrapped by
`access.dossier_view(permission)` (the tenancy test fails otherwise).
"""

from . import views_dossier, views_firms, views_invitations, views_members, views_switcher

app_name = "dossiers"

urlpatterns = [
    *views_switcher.urlpatterns,
    *views_dossier.urlpatterns,
    *views_members.urlpatterns,
    *views_invitations.urlpatterns,
    *views_firms.urlpatterns,
]
