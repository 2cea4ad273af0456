"""Fixtures of the capture app: the tasks app's world (every role, a firm, an outsider)."""

from __future__ import annotations

import base64
from typing import Any

from comptoir.assignments.tests import conftest as tasks_conftest

office = tasks_conftest.office
make_task, client_for = tasks_conftest.make_task, tasks_conftest.client_for

TUS: dict[str, Any] = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())
