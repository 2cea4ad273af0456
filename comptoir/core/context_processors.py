from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def comptoir(request: HttpRequest) -> dict[str, Any]:
    return {"COMPTOIR_DEMO": settings.DEMO}
