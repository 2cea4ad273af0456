"""Fixtures of the capture app: the tasks app's world (every role, a firm, an outsider), a
photographed page for the scanner, tus headers."""

from __future__ import annotations

import base64
from typing import Any

import cv2
import numpy as np
import pytest

from comptoir.assignments.tests import conftest as tasks_conftest

office = tasks_conftest.office
make_task, client_for = tasks_conftest.make_task, tasks_conftest.client_for

TUS: dict[str, Any] = {"HTTP_TUS_RESUMABLE": "1.0.0"}

# Where the page lies in scan_photo(): TL, TR, BR, BL.
PAGE_CORNERS = [(180.0, 140.0), (1020.0, 220.0), (960.0, 1400.0), (120.0, 1330.0)]


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def scan_photo(word: str = "FACTURE") -> bytes:
    """A JPEG photo (1200 x 1600) of a page with large words, tilted on a wooden table."""
    page = np.full((1414, 1000, 3), 250, np.uint8)
    cv2.putText(page, word, (90, 220), cv2.FONT_HERSHEY_SIMPLEX, 4, (20, 20, 20), 10)
    for row in range(420, 1300, 110):
        cv2.putText(
            page, "Total 125,00 EUR", (90, row), cv2.FONT_HERSHEY_SIMPLEX, 2, (30, 30, 30), 4
        )
    xs = np.arange(1200)[None, :] + 30 * np.sin(np.arange(1600)[:, None] / 50)
    table = np.array([40, 90, 150])[None, None, :] * (0.8 + 0.2 * np.sin(xs / 8))[:, :, None]
    source = np.array([[0, 0], [1000, 0], [1000, 1414], [0, 1414]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, np.array(PAGE_CORNERS, np.float32))
    warped = cv2.warpPerspective(page, matrix, (1200, 1600))
    mask = cv2.warpPerspective(np.full((1414, 1000), 1.0, np.float32), matrix, (1200, 1600))
    photo = warped * mask[:, :, None] + table * (1 - mask[:, :, None])
    return cv2.imencode(".jpg", photo.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


@pytest.fixture
def owner_client(client, office):
    client.force_login(office["users"]["owner"])
    return client
