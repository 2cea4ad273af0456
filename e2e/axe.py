"""Accessibility checks with axe-core (bundled by axe-playwright-python).

axe is injected with Playwright's `page.evaluate`, which runs through the DevTools protocol:
the page keeps its strict CSP (`script-src 'self'`) and nothing is served from elsewhere.
A page passes with 0 critical and 0 serious violations.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

BLOCKING = ("critical", "serious")

_axe = Axe()


def assert_accessible(page: Page, where: str) -> None:
    page.wait_for_load_state("networkidle")
    results = _axe.run(page)
    found = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    if found:
        lines = [
            f"- {v['impact']} {v['id']}: {v['help']} — "
            + "; ".join(", ".join(node["target"]) for node in v["nodes"][:5])
            for v in found
        ]
        pytest.fail(
            f"{where} ({page.url}): {len(found)} blocking accessibility violation(s):\n"
            + "\n".join(lines),
            pytrace=False,
        )
