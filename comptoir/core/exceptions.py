"""Domain errors shared by every app (the lowest layer, so any app may raise or catch them)."""

from __future__ import annotations


class ActionRefused(Exception):
    """An action refused what it was asked, with a message the person can read."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
