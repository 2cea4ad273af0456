"""Helpers for Comptoir's tests (unit and browser): importable, never used in production.

- `comptoir.testing.environment`: pytest plugin that prepares the environment first.
- `comptoir.testing.smtp`: a real loopback SMTP server that keeps what it receives.
"""
