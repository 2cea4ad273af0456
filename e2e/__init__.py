"""Browser tests (Playwright + Debian's chromium against a real `comptoir demo`).

Run: `uv run pytest e2e` (`-m e2e` selects them anywhere; `-m "not e2e"` leaves them out).
The harness is in e2e/conftest.py; small helpers shared by the test modules are here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import Page

if TYPE_CHECKING:
    from e2e.conftest import DemoServer

DEMO_PASSWORD = "comptoir-demo-2026"


def log_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Fill and submit the login form; the page must be showing it."""
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("form:has(#id_login) button[type=submit]").click()


def at(demo_server: DemoServer, path: str) -> re.Pattern[str]:
    """The exact URL of `path` on the server, any query string allowed."""
    return re.compile(re.escape(demo_server.url + path) + r"(\?.*)?$")
