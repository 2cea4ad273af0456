"""The daily backup job: into BACKUP_DIR, the newest BACKUP_KEEP kept."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from comptoir.core.scheduler import DAY, PERIODIC_JOBS
from comptoir.dossiers.tests.factories import DossierFactory

from ..backup import backup_scheduled_run
from ..tasks import backup_scheduled

pytestmark = pytest.mark.django_db


def test_the_job_is_daily():
    (job,) = [j for j in PERIODIC_JOBS if j.name == "backup"]
    assert job.every == DAY
    assert job.task_object() is backup_scheduled


def test_nothing_without_a_backup_folder(settings):
    settings.BACKUP_DIR = ""
    assert backup_scheduled.call() == ""


# No transaction around the test: SQLite's backup reads the (in-memory) test database
# through its own read transaction.
@pytest.mark.django_db(transaction=True)
def test_the_newest_are_kept_and_unfinished_ones_removed(settings, tmp_path):
    settings.BACKUP_DIR = str(tmp_path / "backups")
    settings.BACKUP_KEEP = 2
    DossierFactory()
    default_storage.save("documents/1/abc", ContentFile(b"bytes"))
    start = datetime.datetime(2026, 3, 1, 2, 0, tzinfo=datetime.UTC)
    made = []
    for day in range(3):
        if day == 2:
            # A backup that died half way (no manifest) the night before.
            (tmp_path / "backups" / "comptoir-20260302T120000Z").mkdir()
        made.append(backup_scheduled_run(now=start + datetime.timedelta(days=day)))
    names = sorted(path.name for path in (tmp_path / "backups").iterdir())
    assert names == ["comptoir-20260302T020000Z", "comptoir-20260303T020000Z"]
    assert [path.name for path in made[1:]] == names
    manifest = json.loads((made[-1] / "manifest.json").read_text())
    assert manifest["files"]["media/documents/1/abc"]["size"] == 5
    assert manifest["storage"] == {"included": True, "kind": "filesystem"}


def test_a_backup_inside_the_stored_files_is_refused(settings):
    from ..backup import BackupRefused, backup_make

    with pytest.raises(BackupRefused, match="ne peut pas être écrite dans le dossier des fichiers"):
        backup_make(Path(settings.MEDIA_ROOT) / "backup")
