"""The activity log's pages: a dossier's journal, and the same across the dossiers a person
may audit (an accountant's firms' dossiers, and their own).

Thin views: the events come from `access.py`, the filters from `forms.py` read back by
`selectors.EventFilters`, one keyset page from `selectors.events_page`. The number of
queries does not depend on the number of events: no COUNT, no per-row query (the author is
the event's `actor_label`, named from the people already fetched for the filter).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET
from django_stubs_ext import StrOrPromise

from comptoir.core.converters import parse_id
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.models import Dossier, FirmMember, Membership
from comptoir.dossiers.permissions import Permission
from comptoir.dossiers.views_dossier import dossier_context

from .access import audit_scope, events_visible, events_visible_across
from .forms import DATALIST_MAX, EventFilterForm
from .labels import action_label, details_summary, object_label, user_agent_short
from .models import AuditEvent
from .selectors import EventFilters, EventPage, events_filter, events_page

if TYPE_CHECKING:
    from comptoir.accounts.models import User

# Across many dossiers the "Utilisateur" field offers this many people (by name) and takes
# anyone else of these dossiers by address; choosing a dossier lists its people in full.
PEOPLE_MAX = DATALIST_MAX


@dataclass(frozen=True)
class EventRow:
    """One event as the table shows it (texts worked out once, in Python)."""

    event: AuditEvent
    author_name: str  # the person's name when known, else ""
    # The author's label cut before "@", so that an address wraps there, not mid-word.
    author_label: tuple[str, str]
    action: StrOrPromise
    object_type: StrOrPromise
    browser: str
    details: list[tuple[str, str]]


def _people_of(dossier_ids: list[int]) -> QuerySet[User]:
    user_model = get_user_model()
    return (
        user_model.objects.filter(
            Q(pk__in=Membership.objects.filter(dossier_id__in=dossier_ids).values("user"))
            | Q(
                pk__in=FirmMember.objects.filter(
                    firm__dossier_accesses__dossier_id__in=dossier_ids
                ).values("user")
            )
        )
        .only("pk", "email", "first_name", "last_name")
        .order_by("first_name", "last_name", "email")
    )


def _people(dossier_ids: list[int], *, limit: int | None = None) -> list[User]:
    """Direct members of these dossiers and the staff of the firms serving them: one query."""
    people = _people_of(dossier_ids)
    return list(people[:limit] if limit is not None else people)


def _actor_lookup(dossier_ids: list[int]) -> Any:
    """Someone of these dossiers by address or id, beyond the people offered (one query)."""

    def lookup(text: str) -> str | None:
        people = _people_of(dossier_ids)
        found = people.filter(pk=int(text)) if text.isdigit() else people.filter(email__iexact=text)
        pk = found.values_list("pk", flat=True).first()
        return str(pk) if pk is not None else None

    return lookup


def _names(page: EventPage) -> dict[int, str]:
    """The full names of the page's authors (one query, whatever the number of people)."""
    ids = {event.actor_id for event in page.events if event.actor_id}
    if not ids:
        return {}
    people = get_user_model().objects.filter(pk__in=ids).only("pk", "first_name", "last_name")
    return {p.pk: p.get_full_name() for p in people}


def _other_actor(
    events: QuerySet[AuditEvent], people: list[User], query: Any
) -> tuple[int, str] | None:
    """An author asked for by the query string who is not in `people` (a former member):
    offered when they acted in these events, under the name the log kept (one query)."""
    actor_id = parse_id(query.get("actor"))
    if actor_id is None or actor_id in {p.pk for p in people}:
        return None
    label = events.filter(actor_id=actor_id).values_list("actor_label", flat=True).first()
    return (actor_id, label) if label is not None else None


def _wrappable(label: str) -> tuple[str, str]:
    local, at, domain = label.partition("@")
    return (local, at + domain)


def _rows(page: EventPage) -> list[EventRow]:
    names = _names(page)
    return [
        EventRow(
            event=event,
            author_name=names.get(event.actor_id, "") if event.actor_id else "",
            author_label=_wrappable(event.actor_label),
            action=action_label(event.action),
            object_type=object_label(event.object_type),
            browser=user_agent_short(event.user_agent),
            details=details_summary(event.details),
        )
        for event in page.events
    ]


def _log_context(
    request: HttpRequest,
    *,
    events: QuerySet[AuditEvent],
    people: list[User],
    dossiers: list[Dossier] | None,
    actor_lookup: Any = None,
) -> dict[str, Any]:
    """What both pages show: the form, the filters, one page of rows and its links."""
    form = EventFilterForm(
        request.GET,
        people=people,
        other_actor=_other_actor(events, people, request.GET),
        dossiers=dossiers,
        actor_lookup=actor_lookup,
    )
    filters = EventFilters.from_query(form.valid_query())
    before = parse_id(request.GET.get("before"))
    page = events_page(events_filter(events, filters), before=before, by_time=filters.by_time)
    filters_query = urlencode(filters.as_query())
    older_query = (
        urlencode({**filters.as_query(), "before": page.next_before})
        if page.next_before is not None
        else ""
    )
    return {
        "form": form,
        "filters": filters,
        "filters_query": filters_query,
        "filtered": bool(filters.as_query()),
        "rows": _rows(page),
        "page": page,
        "before": before,
        "older_query": older_query,
    }


@dossier_view(Permission.AUDIT_VIEW)
@require_GET
def dossier_log(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    events = events_visible(access)
    people = _people([access.dossier.pk])
    context = _log_context(request, events=events, people=people, dossiers=None)
    context["can_export"] = access.has(Permission.EXPORT)
    return render(request, "audit/dossier_log.html", dossier_context(access, **context))


@login_required
@require_GET
def log_across(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    scope = audit_scope(user)
    dossiers = scope.dossiers
    if not dossiers:
        raise PermissionDenied
    ids = [d.pk for d in dossiers]
    chosen = parse_id(request.GET.get("dossier"))
    if chosen is not None and chosen in set(ids):
        people = _people([chosen])
    else:
        people = _people(ids, limit=PEOPLE_MAX)
    # With no filter the page walks the events newest first by id (see `walk_by_id`).
    hint = EventFilters.from_query(request.GET)
    walk = not (hint.actor or hint.action or hint.object_type or hint.dossier or hint.by_time)
    events = events_visible_across(user, dossiers, walk_by_id=walk)
    context = _log_context(
        request, events=events, people=people, dossiers=dossiers, actor_lookup=_actor_lookup(ids)
    )
    return render(
        request,
        "audit/log_across.html",
        {
            **context,
            "dossier": None,
            "dossiers": dossiers,
            "across": True,
            "can_export": scope.exportable,
        },
    )


urlpatterns: list[URLPattern] = [
    path("journal/", log_across, name="log_across"),
    path("d/<slug:slug>/journal/", dossier_log, name="dossier_log"),
]
