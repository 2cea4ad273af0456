"""The `comptoir` console command: every Django management command, plus demo/serve/worker.

`comptoir demo` must set COMPTOIR_DEMO before the settings are read, which is why this
is a small wrapper rather than plain `django-admin`.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    # Commands are spelled with dashes on the command line (`comptoir audit-verify`) and
    # named with underscores as modules; no Django command has a dash in its name.
    for position in (1, 2) if args[1:2] == ["help"] else (1,):
        if position < len(args) and not args[position].startswith("-"):
            args[position] = args[position].replace("-", "_")
    if len(args) > 1 and args[1] == "demo":
        os.environ.setdefault("COMPTOIR_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
