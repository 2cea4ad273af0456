"""Ranger les documents: where files shared from another app go.

The phone's share sheet POSTs the files to `/share/` (the manifest's `share_target`); the
service worker answers that POST itself, keeps the files in IndexedDB and opens
`/share/?batch=…` — so nothing is lost offline or with an expired session (the login
page comes first, then this page again with the same files). Here the person chooses a
dossier (the last used first, searchable), then a classeur or an open step of an upload
task addressed to them; the files then go through the upload queue (tus), each chunk
checked against the dossier's permissions like any upload.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from comptoir.dossiers.access import DossierAccess, dossier_view, dossiers_with
from comptoir.dossiers.permissions import Permission

from .views_pwa import SHARE_PATH


@csrf_exempt  # the share sheet's POST carries no token, and this answer reads nothing
def share(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Only reached without the service worker (not installed yet, or a browser
        # without one): the files are not read, the person is told to share again.
        return redirect(f"{SHARE_PATH}?unreceived=1")
    return _share_page(request)


@login_required
def _share_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    dossiers = dossiers_with(user, Permission.DOCUMENT_UPLOAD)  # type: ignore[arg-type]
    last = getattr(user, "last_dossier_id", None)
    return render(
        request,
        "capture/share.html",
        {
            "dossiers": dossiers,
            "selected": next(
                (d for d in dossiers if d.pk == last), dossiers[0] if dossiers else None
            ),
            "unreceived": bool(request.GET.get("unreceived")),
        },
    )


@dossier_view(Permission.DOCUMENT_UPLOAD)
def share_destinations(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    """The classeurs of the dossier this person may file into, and the open steps of
    upload tasks addressed to them (two queries each, whatever the dossier's size)."""
    from comptoir.assignments.models import Step, StepState, TaskKind, TaskState
    from comptoir.documents.views import _folder_choices

    if request.method != "GET":
        return JsonResponse({}, status=405)
    restricted = access.restricted_folder_ids is not None
    destinations: list[dict[str, object]] = []
    if not restricted:
        destinations.append({"folder": "", "label": _("Racine du dossier")})
    destinations += [{"folder": pk, "label": label} for pk, label in _folder_choices(access)]
    steps: list[dict[str, object]] = []
    if access.has(Permission.TASK_WORK):
        open_steps = (
            Step.objects.filter(
                task__dossier=access.dossier,
                task__kind=TaskKind.UPLOAD,
                task__state=TaskState.OPEN,
                task__assignees__user=access.user,
                deleted_at__isnull=True,
                state=StepState.OPEN,
            )
            .select_related("task")
            .order_by("task__due_date", "task_id", "position")
        )
        steps = [
            {"task": s.task_id, "step": s.pk, "label": f"{s.task.title} — {s.title}"}
            for s in open_steps
        ]
    return JsonResponse(
        {
            "dossier": access.dossier.name,
            "tus": reverse("capture:tus_collection", args=[access.dossier.slug]),
            "folders": destinations,
            "steps": steps,
        }
    )


urlpatterns: list[URLPattern] = [
    path(SHARE_PATH.strip("/") + "/", share, name="share"),
    path("d/<slug:slug>/share/destinations/", share_destinations, name="share_destinations"),
]
