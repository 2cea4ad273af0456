"""Fixtures of the ledger's tests: the tasks app's office (every role, a firm, an
outsider), reused as is."""

from __future__ import annotations

from comptoir.assignments.tests.conftest import access_of, client_for, office, person

__all__ = ["access_of", "client_for", "office", "person"]
