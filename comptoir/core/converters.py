"""URL converters.

`<id:pk>`: a database id. Django's `<int:…>` accepts any number of digits, and a number
too big for the database raises OverflowError (a 500) instead of a 404; ids here are
1 to 18 digits, so every value the converter accepts fits a 64-bit column.
"""

from __future__ import annotations


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))


def parse_id(value: object) -> int | None:
    """A submitted id, or None when it is not one (forms, query strings)."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)
