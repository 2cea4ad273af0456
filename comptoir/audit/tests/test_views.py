"""The activity log's pages: who may read them, the filters, keyset pages, the query
count, the labels of every recorded action, and the journal across dossiers."""

from __future__ import annotations

import ast
import datetime
import re
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import comptoir
from comptoir.accounts.actions import user_create
from comptoir.audit.actions import Actor, record
from comptoir.audit.labels import (
    ACTION_DOMAINS,
    ACTION_LABELS,
    OBJECT_LABELS,
    details_summary,
    user_agent_short,
)
from comptoir.audit.models import AuditEvent
from comptoir.audit.selectors import PAGE_SIZE
from comptoir.documents.models import Folder
from comptoir.dossiers.actions import dossier_create, firm_create
from comptoir.dossiers.models import Dossier, FirmAccess, FirmMember, Membership, Profile
from comptoir.dossiers.permissions import ROLE_PERMISSIONS, Permission, Role


def person(email: str, **extra):
    return user_create(email=email, password="x-Secret-123456", email_verified=True, **extra)


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def event(dossier, user=None, action="document.viewed", *, target=None, label="", **extra):
    """One event, written the way actions write them."""
    actor = Actor(
        user=user,
        ip=extra.pop("ip", "192.0.2.10"),
        user_agent=extra.pop("user_agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"),
        label=label,
    )
    with transaction.atomic():
        return record(
            actor=actor,
            action=action,
            dossier=dossier,
            target=target if target is not None else dossier,
            details=extra.pop("details", None),
        )


@pytest.fixture
def office(db):
    """Alpha SARL with one person per role (Utilisateur with and without the log option,
    custom profiles with and without it), Cabinet Martin serving it, and an outsider with
    Beta SAS."""
    owner = person("owner@alpha.test", first_name="Odile", last_name="Owner")
    dossier = dossier_create(actor=Actor(user=owner), name="Alpha SARL", siren="732829320")
    users = {"owner": owner}
    for name, role, extra in [
        ("admin", Role.ADMIN, []),
        ("accountant", Role.ACCOUNTANT, []),
        ("user", Role.USER, []),
        ("user_audit", Role.USER, [Permission.AUDIT_VIEW.value]),
        ("readonly", Role.READ_ONLY, []),
    ]:
        users[name] = person(f"{name}@alpha.test")
        Membership.objects.create(
            dossier=dossier, user=users[name], role=role, extra_permissions=extra
        )
    for name, permissions in [
        ("custom", [Permission.DOSSIER_VIEW.value]),
        ("custom_audit", [Permission.DOSSIER_VIEW.value, Permission.AUDIT_VIEW.value]),
    ]:
        profile = Profile.objects.create(dossier=dossier, name=name, permissions=permissions)
        users[name] = person(f"{name}@alpha.test")
        Membership.objects.create(
            dossier=dossier, user=users[name], role=Role.CUSTOM, profile=profile
        )
    users["staff"] = person("staff@martin.test", first_name="Sam", last_name="Staff")
    firm = firm_create(actor=Actor(user=users["staff"]), name="Cabinet Martin")
    FirmMember.objects.get_or_create(firm=firm, user=users["staff"])
    FirmAccess.objects.create(firm=firm, dossier=dossier)
    outsider = person("outsider@beta.test")
    other = dossier_create(actor=Actor(user=outsider), name="Beta SAS", siren="552100554")
    return {
        "dossier": dossier,
        "users": users,
        "firm": firm,
        "outsider": outsider,
        "other": other,
    }


def log_url(dossier: Dossier, **query) -> str:
    url = reverse("audit:dossier_log", args=[dossier.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def shown_ids(response) -> list[int]:
    return [row.event.pk for row in response.context["rows"]]


# --- Who may read the log -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("admin", 200),
        ("accountant", 200),
        ("staff", 200),  # Comptable through the firm
        ("user_audit", 200),  # Utilisateur with the option
        ("custom_audit", 200),
        ("user", 403),
        ("readonly", 403),
        ("custom", 403),
    ],
)
def test_dossier_log_access_by_role(office, who, status):
    response = client_for(office["users"][who]).get(log_url(office["dossier"]))
    assert response.status_code == status


def test_the_roles_table_agrees_with_the_access_test():
    # If the role table changes, the expectations above must be revisited.
    assert Permission.AUDIT_VIEW in ROLE_PERMISSIONS[Role.OWNER]
    assert Permission.AUDIT_VIEW in ROLE_PERMISSIONS[Role.ADMIN]
    assert Permission.AUDIT_VIEW in ROLE_PERMISSIONS[Role.ACCOUNTANT]
    assert Permission.AUDIT_VIEW not in ROLE_PERMISSIONS[Role.USER]
    assert Permission.AUDIT_VIEW not in ROLE_PERMISSIONS[Role.READ_ONLY]


def test_another_dossiers_member_gets_404(office):
    response = client_for(office["outsider"]).get(log_url(office["dossier"]))
    assert response.status_code == 404


def test_anonymous_is_sent_to_login(office):
    response = Client().get(log_url(office["dossier"]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_log_is_read_only(office):
    response = client_for(office["users"]["owner"]).post(log_url(office["dossier"]))
    assert response.status_code == 405


def test_nav_links_to_the_log_only_when_allowed(office):
    home = reverse("dossiers:dossier_home", args=[office["dossier"].slug])
    url = log_url(office["dossier"])
    assert url in client_for(office["users"]["owner"]).get(home).content.decode()
    assert url not in client_for(office["users"]["readonly"]).get(home).content.decode()


def test_the_page_shows_each_column(office):
    owner = office["users"]["owner"]
    event(
        office["dossier"],
        owner,
        "document.renamed",
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        details={"from": "a.pdf", "to": "b.pdf"},
    )
    response = client_for(owner).get(log_url(office["dossier"]))
    page = response.content.decode()
    assert "Document renommé" in page
    assert "Odile Owner" in page
    assert "owner<wbr>@alpha.test" in page
    assert "203.0.113.7" in page
    assert "Chrome 126 · Windows" in page
    assert "avant :</span> a.pdf" in page
    assert "après :</span> b.pdf" in page
    assert "<time datetime=" in page
    assert '<th scope="col">' in page
    assert "<caption" in page
    # What the export's include needs.
    assert response.context["dossier"] == office["dossier"]
    assert response.context["filters_query"] == ""
    assert response.context["filters"].as_query() == {}


def test_details_and_names_are_escaped(office):
    owner = office["users"]["owner"]
    event(
        office["dossier"],
        None,
        "share_link.opened",
        label="<b>lien</b>",
        user_agent="<script>alert(1)</script>",
        details={"name": "<script>alert(2)</script>"},
    )
    page = client_for(owner).get(log_url(office["dossier"])).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "&lt;b&gt;lien&lt;/b&gt;" in page


def test_an_unknown_action_shows_its_code(office):
    event(office["dossier"], office["users"]["owner"], "legacy.thing_done")
    page = client_for(office["users"]["owner"]).get(log_url(office["dossier"]))
    assert "legacy.thing_done" in page.content.decode()


def test_empty_states(office):
    client = client_for(office["users"]["owner"])
    page = client.get(log_url(office["dossier"], action="task.approved")).content.decode()
    assert "Aucun événement ne correspond à ces filtres." in page
    page = client.get(log_url(office["dossier"], before=1)).content.decode()
    assert "Aucun événement plus ancien." in page


# --- Filters ------------------------------------------------------------------------------


@pytest.fixture
def varied(office):
    """Events of several authors, actions, objects and days in Alpha (and one in Beta)."""
    dossier, users = office["dossier"], office["users"]
    folder = Folder.objects.filter(dossier=dossier).first()
    membership = Membership.objects.get(dossier=dossier, user=users["readonly"])
    days = {
        "old": timezone.make_aware(datetime.datetime(2024, 3, 1, 10, 0)),
        "mid": timezone.make_aware(datetime.datetime(2024, 6, 15, 23, 30)),
        "new": timezone.make_aware(datetime.datetime(2024, 9, 30, 8, 0)),
    }
    made = {}
    for key, who, action, target, day in [
        ("a", "owner", "document.viewed", folder, "old"),
        ("b", "staff", "document.downloaded", folder, "mid"),
        ("c", "staff", "folder.renamed", folder, "mid"),
        ("d", "admin", "member.role_changed", membership, "new"),
        ("e", "owner", "dossier.updated", dossier, "new"),
    ]:
        with mock.patch("django.utils.timezone.now", return_value=days[day]):
            made[key] = event(dossier, users[who], action, target=target)
    made["beta"] = event(office["other"], office["outsider"], "document.viewed")
    return made


def test_filter_by_user(office, varied):
    staff = office["users"]["staff"]
    response = client_for(office["users"]["owner"]).get(log_url(office["dossier"], actor=staff.pk))
    assert set(shown_ids(response)) == {varied["b"].pk, varied["c"].pk}


def test_filter_by_exact_action(office, varied):
    client = client_for(office["users"]["owner"])
    response = client.get(log_url(office["dossier"], action="document.downloaded"))
    assert shown_ids(response) == [varied["b"].pk]


def test_filter_by_action_domain(office, varied):
    client = client_for(office["users"]["owner"])
    response = client.get(log_url(office["dossier"], action="document."))
    assert set(shown_ids(response)) == {varied["a"].pk, varied["b"].pk}


def test_filter_by_object(office, varied):
    client = client_for(office["users"]["owner"])
    response = client.get(log_url(office["dossier"], object="dossiers.membership"))
    assert shown_ids(response) == [varied["d"].pk]
    response = client.get(log_url(office["dossier"], object="documents.folder"))
    assert set(shown_ids(response)) == {varied["a"].pk, varied["b"].pk, varied["c"].pk}


def test_filter_by_period_in_local_days(office, varied):
    client = client_for(office["users"]["owner"])
    # 15 June 23:30 in Paris is 21:30 UTC: it belongs to the 15th.
    response = client.get(log_url(office["dossier"], **{"from": "2024-06-15", "to": "2024-06-15"}))
    assert set(shown_ids(response)) == {varied["b"].pk, varied["c"].pk}
    response = client.get(log_url(office["dossier"], **{"from": "2024-06-16", "to": "2024-12-31"}))
    assert set(shown_ids(response)) == {varied["d"].pk, varied["e"].pk}
    response = client.get(log_url(office["dossier"], to="2024-03-01"))
    assert shown_ids(response) == [varied["a"].pk]


def test_filters_combine_and_are_kept_in_the_query(office, varied):
    staff = office["users"]["staff"]
    response = client_for(office["users"]["owner"]).get(
        log_url(office["dossier"], actor=staff.pk, action="folder.")
    )
    assert shown_ids(response) == [varied["c"].pk]
    assert parse_qs(response.context["filters_query"]) == {
        "actor": [str(staff.pk)],
        "action": ["folder."],
    }


def test_the_user_filter_offers_members_and_firm_staff_only(office, varied):
    response = client_for(office["users"]["owner"]).get(log_url(office["dossier"]))
    offered = {value for value, _label in response.context["form"].fields["actor"].choices}
    users = office["users"]
    assert {str(users[name].pk) for name in users} <= offered
    assert str(office["outsider"].pk) not in offered


def test_a_former_member_can_still_be_chosen(office):
    users = office["users"]
    gone = event(office["dossier"], users["readonly"], "document.viewed")
    Membership.objects.filter(user=users["readonly"]).delete()
    response = client_for(users["owner"]).get(
        log_url(office["dossier"], actor=users["readonly"].pk)
    )
    assert shown_ids(response) == [gone.pk]
    assert not response.context["form"].errors
    # Someone who never acted here is not named.
    response = client_for(users["owner"]).get(
        log_url(office["dossier"], actor=office["outsider"].pk)
    )
    assert "actor" in response.context["form"].errors
    assert "outsider@beta.test" not in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"actor": "abc"},
        {"actor": "9" * 30},
        {"actor": "-1"},
        {"action": "<script>"},
        {"action": "x" * 500},
        {"object": "'; DROP TABLE"},
        {"from": "2024-13-45"},
        {"from": "0001-01-01"},
        {"to": "9999-12-31"},
        {"from": "2024-06-02", "to": "2024-06-01"},
        {"before": "abc"},
        {"before": "9" * 30},
        {"dossier": "abc"},
    ],
)
def test_malformed_filters_never_fail(office, varied, query):
    response = client_for(office["users"]["owner"]).get(log_url(office["dossier"]), query)
    assert response.status_code == 200
    if set(query) - {"before", "dossier"}:
        assert response.context["form"].errors
        assert "field-invalid" in response.content.decode()
    # An ignored filter does not narrow the rows.
    if "from" not in query or "to" not in query:  # (there, only the end date is ignored)
        everything = AuditEvent.objects.filter(dossier=office["dossier"]).count()
        assert len(shown_ids(response)) == everything


def test_an_old_but_well_formed_action_code_can_be_filtered(office):
    old = event(office["dossier"], office["users"]["owner"], "legacy.thing_done")
    event(office["dossier"], office["users"]["owner"], "document.viewed")
    response = client_for(office["users"]["owner"]).get(
        log_url(office["dossier"], action="legacy.thing_done")
    )
    assert not response.context["form"].errors
    assert shown_ids(response) == [old.pk]


# --- Keyset pages and query count ---------------------------------------------------------


def test_keyset_pages_walk_every_event_once(office):
    dossier, owner = office["dossier"], office["users"]["owner"]
    for number in range(120):
        event(dossier, owner, "document.viewed", details={"n": number})
    expected = list(
        AuditEvent.objects.filter(dossier=dossier).order_by("-id").values_list("pk", flat=True)
    )
    assert len(expected) > 2 * PAGE_SIZE
    client = client_for(owner)
    seen: list[int] = []
    url = log_url(dossier)
    pages = 0
    while url:
        response = client.get(url)
        ids = shown_ids(response)
        assert 0 < len(ids) <= PAGE_SIZE
        seen += ids
        pages += 1
        older = response.context["older_query"]
        url = f"{log_url(dossier)}?{older}" if older else ""
        if pages > 1:
            assert "Revenir aux plus récents" in response.content.decode()
    assert seen == expected  # newest first, no duplicate, no gap
    assert pages == -(-len(expected) // PAGE_SIZE)
    assert 'rel="next"' not in response.content.decode()


def test_older_pages_keep_the_filters(office):
    dossier, owner, staff = office["dossier"], office["users"]["owner"], office["users"]["staff"]
    for _ in range(PAGE_SIZE + 5):
        event(dossier, staff, "document.downloaded")
        event(dossier, owner, "document.viewed")
    response = client_for(owner).get(log_url(dossier, actor=staff.pk))
    older = parse_qs(response.context["older_query"])
    assert older["actor"] == [str(staff.pk)]
    assert f"before={older['before'][0]}" in response.content.decode().replace("&amp;", "&")
    response = client_for(owner).get(f"{log_url(dossier)}?{response.context['older_query']}")
    assert len(shown_ids(response)) == 5
    assert {row.event.actor_id for row in response.context["rows"]} == {staff.pk}


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    # One query reads the events (no COUNT, nothing per row).
    assert sum("audit_auditevent" in query["sql"] for query in queries) == 1
    return len(queries)


def test_the_query_count_does_not_grow_with_the_events(office):
    dossier, users = office["dossier"], office["users"]
    extra = [person(f"extra{n}@alpha.test") for n in range(12)]
    for user in extra:
        Membership.objects.create(dossier=dossier, user=user, role=Role.USER)
    client = client_for(users["owner"])
    url = log_url(dossier)
    client.get(url)  # the session, the last dossier used: settled once
    authors = [*users.values(), *extra]
    for number in range(5):
        event(dossier, authors[number], "document.viewed")
    few = _queries(client, url)
    for number in range(55):
        if number % 7 == 0:
            event(dossier, None, "share_link.opened", label=f"lien de partage #{number}")
        else:
            event(dossier, authors[number % len(authors)], "task.created")
    many = _queries(client, url)
    assert few == many
    # Filtered and deep pages cost the same.
    before = AuditEvent.objects.filter(dossier=dossier).order_by("-id")[20].pk
    assert _queries(client, f"{url}?action=task.&before={before}") == many


def test_no_count_is_run_over_the_events(office):
    event(office["dossier"], office["users"]["owner"], "document.viewed")
    client = client_for(office["users"]["owner"])
    with CaptureQueriesContext(connection) as queries:
        client.get(log_url(office["dossier"]))
    audit_queries = [q["sql"] for q in queries if "audit_auditevent" in q["sql"]]
    assert audit_queries
    assert not any("COUNT(" in sql.upper() for sql in audit_queries)


# --- Across dossiers ----------------------------------------------------------------------


@pytest.fixture
def two_served(office):
    """Cabinet Martin serves Alpha and Gamma; Beta is the outsider's, not served."""
    staff = office["users"]["staff"]
    gamma_owner = person("owner@gamma.test")
    gamma = dossier_create(actor=Actor(user=gamma_owner), name="Gamma SA", siren="552100554")
    FirmAccess.objects.create(firm=office["firm"], dossier=gamma)
    return {
        "staff": staff,
        "gamma": gamma,
        "gamma_owner": gamma_owner,
        "alpha_event": event(office["dossier"], office["users"]["owner"], "document.viewed"),
        "gamma_event": event(gamma, gamma_owner, "document.uploaded"),
        "beta_event": event(office["other"], office["outsider"], "document.viewed"),
    }


def test_across_shows_only_audited_dossiers(office, two_served):
    response = client_for(two_served["staff"]).get(reverse("audit:log_across"))
    assert response.status_code == 200
    ids = shown_ids(response)
    assert two_served["alpha_event"].pk in ids
    assert two_served["gamma_event"].pk in ids
    assert two_served["beta_event"].pk not in ids
    assert not AuditEvent.objects.filter(pk__in=ids, dossier=office["other"]).exists()
    assert response.context["dossier"] is None
    page = response.content.decode()
    assert "Gamma SA" in page
    assert "Beta SAS" not in page


def test_across_dossier_filter(office, two_served):
    client = client_for(two_served["staff"])
    url = reverse("audit:log_across")
    response = client.get(url, {"dossier": two_served["gamma"].pk})
    assert set(shown_ids(response)) == set(
        AuditEvent.objects.filter(dossier=two_served["gamma"]).values_list("pk", flat=True)
    )
    assert parse_qs(response.context["filters_query"]) == {"dossier": [str(two_served["gamma"].pk)]}
    # The people listed are Gamma's (its owner, the firm's staff).
    offered = {value for value, _label in response.context["form"].fields["actor"].choices}
    assert str(two_served["gamma_owner"].pk) in offered
    assert str(office["users"]["readonly"].pk) not in offered


def test_across_never_shows_a_dossier_not_served_even_when_asked(office, two_served):
    response = client_for(two_served["staff"]).get(
        reverse("audit:log_across"), {"dossier": office["other"].pk}
    )
    assert response.status_code == 200
    assert "dossier" in response.context["form"].errors
    ids = shown_ids(response)
    assert two_served["beta_event"].pk not in ids
    assert not AuditEvent.objects.filter(pk__in=ids, dossier=office["other"]).exists()


def test_across_skips_dossiers_where_the_role_may_not_read_the_log(office, two_served):
    # The Lecture seule member of Alpha audits nothing: 403.
    response = client_for(office["users"]["readonly"]).get(reverse("audit:log_across"))
    assert response.status_code == 403
    # An Utilisateur with the option reads Alpha's log only.
    response = client_for(office["users"]["user_audit"]).get(reverse("audit:log_across"))
    assert response.status_code == 200
    assert {row.event.dossier_id for row in response.context["rows"]} == {office["dossier"].pk}


def test_across_for_anonymous_redirects(db):
    response = Client().get(reverse("audit:log_across"))
    assert response.status_code == 302


def test_across_query_count_is_constant(office, two_served):
    client = client_for(two_served["staff"])
    url = reverse("audit:log_across")
    client.get(url)
    few = _queries(client, url)
    for number in range(40):
        dossier = two_served["gamma"] if number % 2 else office["dossier"]
        event(dossier, two_served["gamma_owner"] if number % 2 else office["users"]["owner"])
    assert _queries(client, url) == few


def test_accountant_home_links_to_the_journal(office):
    page = client_for(office["users"]["staff"]).get(reverse("dossiers:accountant_home"))
    assert reverse("audit:log_across") in page.content.decode()


# --- Labels -------------------------------------------------------------------------------

# Action codes built at run time, by the pattern of their f-string in the source.
DYNAMIC_ACTIONS = {
    "document.{kind}": {"document.viewed", "document.downloaded"},
}


class _RecordCalls(ast.NodeVisitor):
    """The `action=` arguments of calls to `record` and to the functions that pass their
    own `action` parameter on to it (`account_event(action=…)`), with the enclosing
    function of each call."""

    def __init__(self, recorders: set[str]) -> None:
        self.recorders = recorders
        self.stack: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.found: list[tuple[ast.expr, ast.FunctionDef | ast.AsyncFunctionDef | None, int]] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.stack.append(node)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in self.recorders:
            for keyword in node.keywords:
                if keyword.arg == "action":
                    enclosing = self.stack[-1] if self.stack else None
                    self.found.append((keyword.value, enclosing, node.lineno))
        self.generic_visit(node)


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef | None) -> set[str]:
    if function is None:
        return set()
    arguments = function.args
    return {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}


def _recorded_actions() -> tuple[set[str], set[str]]:
    """Every action code the source (tests aside) can record, and what the walk could not
    read (a variable that is neither a module constant nor a forwarded parameter, an
    f-string not in DYNAMIC_ACTIONS)."""
    root = Path(comptoir.__file__).parent
    modules: dict[str, ast.Module] = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if "tests" in parts or "migrations" in parts or "testing" in parts:
            continue
        modules[str(path.relative_to(root))] = ast.parse(path.read_text(encoding="utf-8"))
    constants: dict[str, str] = {}  # module-level NAME = "code", of any module
    for tree in modules.values():
        for node in tree.body:
            if (
                isinstance(node, ast.Assign | ast.AnnAssign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        constants[target.id] = node.value.value
    # Functions that hand their `action` parameter to record(), to a fixed point.
    recorders = {"record"}
    while True:
        found = set()
        for tree in modules.values():
            visitor = _RecordCalls(recorders)
            visitor.visit(tree)
            for value, function, _line in visitor.found:
                if isinstance(value, ast.Name) and value.id in _parameters(function):
                    assert function is not None
                    found.add(function.name)
        if found <= recorders:
            break
        recorders |= found

    codes: set[str] = set()
    unreadable: set[str] = set()

    def collect(node: ast.expr, function, where: str) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            codes.add(node.value)
        elif isinstance(node, ast.IfExp):
            collect(node.body, function, where)
            collect(node.orelse, function, where)
        elif isinstance(node, ast.Name) and node.id in _parameters(function):
            pass  # forwarded: its callers' values are collected
        elif isinstance(node, ast.Name) and node.id in constants:
            codes.add(constants[node.id])
        elif isinstance(node, ast.JoinedStr):
            pattern = "".join(
                str(part.value)
                if isinstance(part, ast.Constant)
                else "{" + ast.unparse(part.value) + "}"
                for part in node.values
                if isinstance(part, ast.Constant | ast.FormattedValue)
            )
            if pattern in DYNAMIC_ACTIONS:
                codes.update(DYNAMIC_ACTIONS[pattern])
            else:
                unreadable.add(f"{where}: f-string {pattern!r}")
        else:
            unreadable.add(f"{where}: {ast.unparse(node)}")

    for module, tree in modules.items():
        visitor = _RecordCalls(recorders)
        visitor.visit(tree)
        for value, function, line in visitor.found:
            collect(value, function, f"{module}:{line}")
    return codes, unreadable


def test_the_walk_finds_the_recorded_actions():
    codes, _unreadable = _recorded_actions()
    assert {"document.uploaded", "document.viewed", "task.approved", "member.left"} <= codes


def test_every_recorded_action_has_a_label():
    codes, unreadable = _recorded_actions()
    assert unreadable == set(), "add these action codes to DYNAMIC_ACTIONS (and label them)"
    missing = sorted(codes - set(ACTION_LABELS))
    assert missing == [], "label these action codes in audit/labels.py ACTION_LABELS"


def test_every_labelled_action_belongs_to_a_domain():
    prefixes = {prefix for domain in ACTION_DOMAINS for prefix, _label in domain.prefixes}
    orphans = [code for code in ACTION_LABELS if code.split(".")[0] + "." not in prefixes]
    assert orphans == [], "add their prefix to ACTION_DOMAINS (the Action filter's groups)"


def test_object_labels_name_real_models():
    from django.apps import apps

    for key in OBJECT_LABELS:
        app_label, model_name = key.split(".")
        assert apps.get_model(app_label, model_name)._meta.label_lower == key


def test_action_filter_has_domain_groups_and_all_of_domain_options(office):
    response = client_for(office["users"]["owner"]).get(log_url(office["dossier"]))
    page = response.content.decode()
    assert re.search(r'<optgroup label="Documents">\s*<option value="document\.">', page)
    assert '<option value="task.step_completed">' in page
    assert 'value="firm."' not in page  # never written in a dossier


def test_details_summary_is_short_and_readable():
    pairs = dict(
        details_summary(
            {
                "sha256": "a" * 64,
                "documents": [{"id": n, "name": f"f{n}.pdf"} for n in range(8)],
                "changed": {"name": ["Alpha", "Alpha SARL"]},
                "zip": True,
                "role": "accountant",
                "comment": "x" * 500,
            }
        )
    )
    assert pairs["empreinte SHA-256"] == "aaaaaaaaaaaa…"
    assert pairs["documents"].startswith("f0.pdf, f1.pdf")
    assert "(+3)" in pairs["documents"]
    assert pairs["modifications"] == "nom : Alpha → Alpha SARL"
    assert pairs["archive ZIP"] == "oui"
    assert pairs["rôle"] == "Comptable"
    assert len(pairs["commentaire"]) <= 120


@pytest.mark.parametrize(
    ("agent", "short"),
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari 17 · iPhone",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
            "Edge 126 · Windows",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox 128 · Linux",
        ),
        ("curl/8.5.0", "curl 8.5.0"),
        ("", ""),
    ],
)
def test_user_agent_short(agent, short):
    assert user_agent_short(agent) == short
