"""Reads of tasks for lists and pages: filters, counts and the people a task can go to.

Everything starts from the access layer (`access.tasks_visible` for one dossier,
`dossiers.access.dossiers_for_user` for the board), so a list never shows a task of a
dossier the person does not reach. Lists fetch what their rows show in a fixed number of
queries (annotations and prefetches), whatever the number of tasks.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from comptoir.dossiers.access import DossierAccess, membership_permissions
from comptoir.dossiers.models import Dossier, FirmAccess, FirmMember, Membership
from comptoir.dossiers.permissions import ROLE_PERMISSIONS, Permission, Role

from .access import tasks_visible
from .models import Step, StepState, Task, TaskAssignee, TaskKind, TaskState

if TYPE_CHECKING:
    from comptoir.accounts.models import User

DUE_SOON_DAYS = 7


class DueFilter:
    OVERDUE = "overdue"
    SOON = "soon"
    NONE = "none"
    VALUES = (OVERDUE, SOON, NONE)


def client_assignees(dossier: Dossier) -> QuerySet[User]:
    """The dossier's client-side people: direct members who are neither Comptable nor on
    the staff of a firm serving the dossier (the firm sends tasks, it does not receive
    them)."""
    user_model = get_user_model()
    staff = FirmMember.objects.filter(firm__dossier_accesses__dossier=dossier).values("user")
    return (
        user_model.objects.filter(memberships__dossier=dossier, is_active=True)
        .exclude(memberships__dossier=dossier, memberships__role=Role.ACCOUNTANT)
        .exclude(pk__in=staff)
        .distinct()
        .order_by("first_name", "last_name", "email")
    )  # type: ignore[return-value]


def client_workers(dossier: Dossier) -> QuerySet[User]:
    """The client-side people who may work a task (TASK_WORK): `client_assignees` without
    Lecture seule nor custom profiles lacking it — sending them a task they cannot act on
    would only bring them reminders. Two queries whatever the number of members."""
    people = client_assignees(dossier)
    memberships = Membership.objects.select_related("profile").filter(
        dossier=dossier, user__in=people
    )
    able = [
        membership.user_id
        for membership in memberships
        if Permission.TASK_WORK in membership_permissions(membership)
    ]
    return people.filter(pk__in=able)


def default_assignee_ids(dossier: Dossier) -> list[int]:
    """Checked by default on a new task: the owner(s) among the client-side people."""
    return list(
        client_assignees(dossier)
        .filter(memberships__dossier=dossier, memberships__role=Role.OWNER)
        .values_list("pk", flat=True)
    )


def task_people(dossier: Dossier) -> QuerySet[User]:
    """Everyone a dossier's task list can be filtered on: its direct members."""
    user_model = get_user_model()
    return (
        user_model.objects.filter(memberships__dossier=dossier)
        .distinct()
        .order_by("first_name", "last_name", "email")
    )  # type: ignore[return-value]


# What a row shows (`_task_rows.html`): a task list reads these columns only, not the
# creator's password hash nor the task's message.
ROW_FIELDS = (
    "id",
    "dossier_id",
    "kind",
    "title",
    "state",
    "outcome",
    "due_date",
    "completed_at",
    "created_at",
    "created_by_id",
    "dossier__slug",
    "dossier__name",
    "created_by__first_name",
    "created_by__last_name",
    "created_by__email",
)


def _steps_count(*, done: bool) -> Coalesce:
    """A task's live steps (done: marked, not open), as a correlated subquery: counting
    through a JOIN would GROUP BY every selected column of every open task."""
    steps = Step.objects.filter(task=OuterRef("pk"), deleted_at__isnull=True)
    if done:
        steps = steps.exclude(state=StepState.OPEN)
    counted = steps.order_by().values("task").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _with_row_data(tasks: QuerySet[Task]) -> QuerySet[Task]:
    assignees = TaskAssignee.objects.select_related("user").only(
        "pk", "task_id", "user_id", "user__first_name", "user__last_name", "user__email"
    )
    return (
        tasks.select_related("dossier", "created_by")
        .only(*ROW_FIELDS)
        .annotate(steps_total=_steps_count(done=False), steps_done=_steps_count(done=True))
        .prefetch_related(Prefetch("assignees", queryset=assignees))
    )


def tasks_filter(
    tasks: QuerySet[Task],
    *,
    kind: str = "",
    due: str = "",
    assignee_id: int | None = None,
    today: datetime.date | None = None,
) -> QuerySet[Task]:
    today = today or timezone.localdate()
    if kind in TaskKind.values:
        tasks = tasks.filter(kind=kind)
    if due == DueFilter.OVERDUE:
        tasks = tasks.filter(state=TaskState.OPEN, due_date__lt=today)
    elif due == DueFilter.SOON:
        tasks = tasks.filter(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)
        )
    elif due == DueFilter.NONE:
        tasks = tasks.filter(due_date__isnull=True)
    if assignee_id is not None:
        tasks = tasks.filter(assignees__user_id=assignee_id)
    return tasks


def state_counts(tasks: QuerySet[Task]) -> dict[str, int]:
    """How many tasks of `tasks` are À faire and Terminé, in one query."""
    counts = tasks.order_by().aggregate(
        open=Count("pk", filter=Q(state=TaskState.OPEN), distinct=True),
        done=Count("pk", filter=Q(state=TaskState.DONE), distinct=True),
    )
    return {"open": counts["open"] or 0, "done": counts["done"] or 0}


def tasks_for_list(
    access: DossierAccess,
    *,
    state: str,
    kind: str = "",
    due: str = "",
    assignee_id: int | None = None,
) -> tuple[QuerySet[Task], dict[str, int]]:
    """One dossier's tasks in `state` with the filters, and the counts of both lists."""
    filtered = tasks_filter(tasks_visible(access), kind=kind, due=due, assignee_id=assignee_id)
    counts = state_counts(filtered)
    rows = _with_row_data(filtered.filter(state=state)).distinct()
    if state == TaskState.DONE:
        rows = rows.order_by("-completed_at", "-id")
    else:
        rows = rows.order_by("due_date", "-created_at", "-id")
    return rows, counts


# --- The accountant's board across dossiers -----------------------------------------------


def board_dossiers(user: User) -> QuerySet[Dossier]:
    """The dossiers where `user` may send tasks (directly or through a firm), by name,
    with only `pk`, `slug` and `name`.

    Firm staff get Comptable's permissions (TASK_SEND included); a direct member has
    TASK_SEND through the role table, or a custom profile that contains it. Each way in is
    a subquery of ids (no JOIN, no DISTINCT over the dossiers).
    """
    sending_roles = [
        role for role, perms in ROLE_PERMISSIONS.items() if Permission.TASK_SEND in perms
    ]
    # Custom profiles hold their permissions as a JSON list: read in Python (a handful of
    # rows) rather than a JSON lookup SQLite does not have.
    custom = [
        m.dossier_id
        for m in Membership.objects.filter(user=user, role=Role.CUSTOM).select_related("profile")
        if m.profile is not None and Permission.TASK_SEND.value in m.profile.permissions
    ]
    firms = FirmMember.objects.filter(user=user).values("firm")
    return (
        Dossier.objects.alive()
        .filter(
            Q(pk__in=FirmAccess.objects.filter(firm__in=firms).values("dossier"))
            | Q(
                pk__in=Membership.objects.filter(user=user, role__in=sending_roles).values(
                    "dossier"
                )
            )
            | Q(pk__in=custom)
        )
        .only("pk", "slug", "name")
        .order_by(Lower("name"), "pk")
    )


def tasks_for_board(
    dossier_ids: list[int], *, state: str, dossier_id: int | None = None, due: str = ""
) -> tuple[QuerySet[Task], dict[str, int]]:
    """The open or done tasks of these dossiers (the caller's `board_dossiers`), and the
    counts of both lists (one query; the page's paginator takes its total from it)."""
    if dossier_id is not None:
        tasks = Task.objects.filter(dossier_id=dossier_id)
    else:
        tasks = Task.objects.filter(dossier_id__in=dossier_ids)
    tasks = tasks_filter(tasks, due=due)
    counts = state_counts(tasks)
    rows = _with_row_data(tasks.filter(state=state))
    if state == TaskState.DONE:
        rows = rows.order_by("-completed_at", "-id")
    else:
        rows = rows.order_by("due_date", "-created_at", "-id")
    return rows, counts


def task_counts_by_dossier(dossier_ids: list[int]) -> dict[int, dict[str, int]]:
    """Open and overdue task counts of each dossier, in one query (the accountant home)."""
    today = timezone.localdate()
    rows = (
        Task.objects.filter(dossier_id__in=dossier_ids, state=TaskState.OPEN)
        .values("dossier_id")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(due_date__lt=today)),
        )
        .order_by()
    )
    return {row["dossier_id"]: {"open": row["open"], "overdue": row["overdue"]} for row in rows}


# --- One task's page ----------------------------------------------------------------------


def task_steps(task: Task) -> list[Step]:
    """The live steps, each with its documents and comments (fixed number of queries)."""
    from .models import StepComment, TaskDocument

    return list(
        Step.objects.filter(task=task, deleted_at__isnull=True)
        .select_related("folder", "state_changed_by")
        .prefetch_related(
            Prefetch("comments", queryset=StepComment.objects.select_related("author")),
            Prefetch(
                "step_documents",
                queryset=TaskDocument.objects.select_related("document", "added_by"),
            ),
        )
    )
