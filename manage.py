#!/usr/bin/env python
"""Same as the `comptoir` command, for habits and IDEs."""

from comptoir.cli import main

if __name__ == "__main__":
    main()
