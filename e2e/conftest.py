"""Browser-test harness: a real `comptoir demo` server, a real SMTP server, real Chromium.

One server, one SMTP server and one browser for all the browser tests (package scope:
each is slow to start, and all are stopped when the e2e tests are done); one fresh browser
context, so fresh cookies, for each test. Nothing here uses
the pytest-django `db` fixture: the tests talk HTTP to a subprocess, as a person would.

- Chromium is Debian's (/usr/bin/chromium, or COMPTOIR_E2E_CHROMIUM). Without it the
  tests are skipped, except when CI=true: then they fail, so CI never passes silently.
- The server gets a fresh data folder (SQLite, cache, media) and EMAIL_URL pointing at
  the SMTP fixture. When DATABASE_URL is a PostgreSQL URL, a throwaway database is
  created on that server for these tests and dropped at the end.
- Every page is watched: console errors (CSP violations among them), uncaught
  exceptions. A test that leaves any fails at teardown. A failed test leaves a
  screenshot in e2e/artifacts/.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from comptoir.testing.smtp import SMTPTestServer

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("COMPTOIR_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 90.0
SERVER_STOP_TIMEOUT = 30.0
READY_LINE = "Comptoir (démo) est prêt"
# Variables of the test process that must not leak into the server: it gets its own
# database, cache, data folder and mail server, and decides DEBUG/HTTPS as `demo` does.
SERVER_ENV_DROPPED = (
    "DATABASE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "REDIS_URL",
    "COMPTOIR_DEMO",
    "DEBUG",
    "HTTPS",
    "SECURE_SSL_REDIRECT",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "MEDIA_ROOT",
    "S3_BUCKET",
)

expect.set_options(timeout=10_000)


# --- Browser availability -------------------------------------------------------------
def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The browser's path; skips (fails under CI=true) when it is not installed."""
    if os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = (
        f"Browser tests need Chromium at {CHROMIUM} (apt-get install chromium, or set "
        "COMPTOIR_E2E_CHROMIUM)."
    )
    if _in_ci():
        pytest.fail(f"{reason} CI=true: refusing to skip the browser tests.", pytrace=False)
    pytest.skip(reason)


# --- SMTP -----------------------------------------------------------------------------
@pytest.fixture(scope="package")
def smtp_server() -> Iterator[SMTPTestServer]:
    with SMTPTestServer() as server:
        yield server


@pytest.fixture
def mailbox(smtp_server: SMTPTestServer) -> SMTPTestServer:
    """The shared SMTP server, emptied for this test."""
    smtp_server.clear()
    return smtp_server


# --- Database -------------------------------------------------------------------------
def _is_postgres(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme in {"postgres", "postgresql", "pgsql"}


@pytest.fixture(scope="package")
def server_database_url() -> Iterator[str | None]:
    """A PostgreSQL URL for a throwaway database, or None (the server uses SQLite)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url or not _is_postgres(url):
        yield None
        return

    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    base = (config.get("NAME") or "comptoir").strip("/")
    suffix = f"_e2e_{os.getpid()}"
    name = base[: 63 - len(suffix)] + suffix
    connect: dict[str, Any] = {
        "dbname": "postgres",
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "autocommit": True,
    }
    with psycopg.connect(**connect) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urllib.parse.urlsplit(url)
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        # The server is stopped first (it depends on this fixture); FORCE ends any
        # connection a crashed server left behind.
        with psycopg.connect(**connect) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# --- The server -----------------------------------------------------------------------
@dataclass
class DemoServer:
    url: str
    port: int
    data_dir: Path
    log_path: Path
    database: str
    process: subprocess.Popen[bytes] = field(repr=False)

    def output(self, limit: int = 20_000) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no output)"
        return text if len(text) <= limit else "…\n" + text[-limit:]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    """SIGTERM, then wait; SIGKILL if it does not stop. None if it had to be killed."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


@pytest.fixture(scope="package")
def demo_server(
    chromium_executable: str,
    smtp_server: SMTPTestServer,
    server_database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DemoServer]:
    """`comptoir demo` on a free loopback port, with its own data and the test SMTP."""
    data_dir = tmp_path_factory.mktemp("comptoir-e2e-data")
    log_path = data_dir / "server.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVER_ENV_DROPPED}
    env.update(
        {
            "COMPTOIR_DATA_DIR": str(data_dir),
            "EMAIL_URL": smtp_server.url,
            "DJANGO_SETTINGS_MODULE": "comptoir.settings",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if server_database_url:
        env["DATABASE_URL"] = server_database_url
    argv = [sys.executable, "-m", "comptoir.cli", "demo", "--host", "127.0.0.1"]
    argv += ["--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = DemoServer(
        url=f"http://127.0.0.1:{port}",
        port=port,
        data_dir=data_dir,
        log_path=log_path,
        database="postgresql" if server_database_url else "sqlite",
        process=process,
    )

    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(
                f"`comptoir demo` exited with code {process.returncode} before it was ready."
                f"\n--- server output ---\n{server.output()}",
                pytrace=False,
            )
        if READY_LINE in server.output() or _healthy(server.url):
            break
        if time.monotonic() > deadline:
            code = _stop(process, SERVER_STOP_TIMEOUT)
            pytest.fail(
                f"`comptoir demo` was not ready within {SERVER_START_TIMEOUT:g} s "
                f"(stopped, code {code}).\n--- server output ---\n{server.output()}",
                pytrace=False,
            )
        time.sleep(0.2)

    try:
        yield server
    finally:
        code = _stop(process, SERVER_STOP_TIMEOUT)
        assert code == 0, (
            f"`comptoir demo` did not stop cleanly on SIGTERM (exit code {code}; None means "
            f"it had to be killed).\n--- server output ---\n{server.output()}"
        )


# --- The browser ----------------------------------------------------------------------
@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[Playwright]:
    # Package scope, not session: Playwright's sync API marks its event loop as running
    # in this thread for as long as it lives, and Django refuses database calls under a
    # running loop. Stopped once the browser tests are done, it cannot disturb unit tests
    # that run after them in the same session (no DJANGO_ALLOW_ASYNC_UNSAFE needed: these
    # tests never touch the database in this process).
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="package")
def browser(chromium_executable: str, playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_executable, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Screenshots for humans to review (gitignored); failures of earlier runs removed."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    for stale in ARTIFACTS_DIR.glob("failure-*.png"):
        stale.unlink()
    return ARTIFACTS_DIR


@dataclass
class PageWatch:
    """What went wrong in the pages of one test: console errors, uncaught exceptions."""

    problems: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                where = message.location.get("url", "") if message.location else ""
                self.problems.append(f"console error on {page.url}: {message.text} {where}")

        def on_page_error(error: PlaywrightError) -> None:
            self.problems.append(f"uncaught exception on {page.url}: {error}")

        page.on("console", on_console)
        page.on("pageerror", on_page_error)

    def csp_violations(self) -> list[str]:
        return [p for p in self.problems if "Content Security Policy" in p]

    def ignore(self, pattern: str) -> list[str]:
        """Drop (and return) the problems a test caused on purpose, e.g. visiting a 404."""
        expected = [p for p in self.problems if re.search(pattern, p)]
        self.problems[:] = [p for p in self.problems if p not in expected]
        return expected


_phase_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    item.stash.setdefault(_phase_reports, {})[report.when] = report
    return report


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


NewPage = Callable[..., Page]


@pytest.fixture
def page_watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def new_page(
    request: pytest.FixtureRequest,
    browser: Browser,
    demo_server: DemoServer,
    page_watch: PageWatch,
    artifacts_dir: Path,
) -> Iterator[NewPage]:
    """Factory: a page in a fresh context (fresh cookies); keyword args go to the context.

    The browser announces English (Accept-Language: en-US): Comptoir must ignore it.
    """
    contexts: list[BrowserContext] = []

    def make(**context_options: Any) -> Page:
        options: dict[str, Any] = {
            "base_url": demo_server.url,
            "locale": "en-US",
            "timezone_id": "Europe/Paris",
            **context_options,
        }
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        context.set_default_navigation_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page_watch.attach(page)
        return page

    yield make

    reports = request.node.stash.get(_phase_reports, {})
    failed = "call" in reports and reports["call"].failed
    try:
        if failed:
            name = _slug(request.node.nodeid.split("::")[-1])
            for index, context in enumerate(contexts):
                for number, page in enumerate(context.pages):
                    path = artifacts_dir / f"failure-{name}-{index}-{number}.png"
                    with contextlib.suppress(PlaywrightError):
                        page.screenshot(path=path, full_page=True)
    finally:
        for context in contexts:
            context.close()
    if not failed:
        assert not page_watch.problems, "Problems in the browser:\n" + "\n".join(
            page_watch.problems
        )


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A page in a fresh desktop-sized context."""
    return new_page(viewport={"width": 1280, "height": 800})
