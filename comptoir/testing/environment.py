"""pytest plugin loaded first (`-p comptoir.testing.environment` in pyproject).

pytest-django reads the settings before any conftest runs, and Comptoir's settings read
the environment at import: what the tests need from the environment is set here.
"""

from __future__ import annotations

import os
import tempfile

# Never the developer's ./var: a throwaway data folder for each run.
os.environ.setdefault("COMPTOIR_DATA_DIR", tempfile.mkdtemp(prefix="comptoir-test-"))
# The test client speaks plain HTTP; production settings default to HTTPS-only.
os.environ.setdefault("HTTPS", "false")
