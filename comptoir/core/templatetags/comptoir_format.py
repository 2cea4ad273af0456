"""One way to write dates everywhere: « 4 déc. 2026 » and « 4 déc. 2026 à 14:29 ».

`{% load comptoir_format %}` then `{{ value|short_date }}` (a date, or a datetime shown on
its local day) and `{{ value|when }}` (a datetime, in the site's time zone). The formats are
translated strings, so each language gets its own order and abbreviations (Django's `N`:
"déc.", "Dec.").
"""

from __future__ import annotations

import datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.translation import gettext

register = template.Library()


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter
def short_date(value: datetime.date | datetime.datetime | None) -> str:
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = _local(value)
    # Translators: Django date format (j day, N abbreviated month, Y year): « 4 déc. 2026 ».
    return dateformat.format(value, gettext("j N Y"))


@register.filter
def when(value: datetime.datetime | None) -> str:
    if not value:
        return ""
    if not isinstance(value, datetime.datetime):
        return short_date(value)
    # Translators: Django date format: « 4 déc. 2026 à 14:29 » (escape letters with \\).
    return dateformat.format(_local(value), gettext("j N Y à H:i"))
