"""`comptoir backup DEST` and `comptoir restore SRC`: a consistent copy made while the app
runs, and its return into an empty data folder and database.

A backup is a folder:

    manifest.json        written last: a folder without it is an unfinished backup
    database.sqlite3     SQLite's online backup API (one read transaction: a snapshot;
                         in WAL mode writers keep writing meanwhile)
    database.pgdump      or pg_dump's custom format (pg_dump reads one snapshot)
    media/...            the default storage's files when it is the file system
    secret_key           the generated key, when the data folder has one

The manifest has the SHA-256 and size of every file, and the audit chains' heads read
just before the database snapshot (chains only grow: they are a prefix of the snapshot),
which are also appended to the anchors file (audit/anchors.py).

Order matters: the database first, then the files. A file stored after the snapshot is an
extra file nobody names (the daily orphan sweep removes it after a restore); a file the
snapshot names was stored before it, so it is copied, unless the trash purge deleted it
in between (a document trashed 30 days ago: the manifest counts what was missing).

With S3 storage the files stay in the bucket and are not copied: the manifest says so,
and the bucket's own versioning and replication are the files' backup.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.audit.anchors import anchor_write, heads_as_json, heads_current, heads_from_json

MANIFEST = "manifest.json"
FORMAT = "comptoir-backup"
VERSION = 1
SQLITE_FILE = "database.sqlite3"
PGDUMP_FILE = "database.pgdump"
MEDIA = "media"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name
SCHEDULED_PREFIX = "comptoir-"
_CHUNK = 1024 * 1024


class BackupRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class BackupReport:
    path: Path
    files: int = 0
    bytes: int = 0
    media_included: bool = True
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)


def _copy_hashing(source: BinaryIO, target: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _entry(path: Path) -> dict[str, Any]:
    sha256, size = file_sha256(path)
    return {"sha256": sha256, "size": size}


def file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _walk(root: Path) -> Iterator[Path]:
    for directory, _dirs, files in os.walk(root):
        for name in sorted(files):
            yield Path(directory) / name


def _media_root() -> Path | None:
    """The default storage's folder, or None when files live elsewhere (S3)."""
    if isinstance(default_storage, FileSystemStorage):
        return Path(default_storage.location)
    return None


def _vendor() -> str:
    return str(connections["default"].vendor)


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore (the password through the environment,
    never on a command line other users can read)."""
    database = connections["default"].settings_dict
    arguments = []
    if database.get("HOST"):
        arguments += ["--host", str(database["HOST"])]
    if database.get("PORT"):
        arguments += ["--port", str(database["PORT"])]
    if database.get("USER"):
        arguments += ["--username", str(database["USER"])]
    environment = dict(os.environ)
    if database.get("PASSWORD"):
        environment["PGPASSWORD"] = str(database["PASSWORD"])
    return arguments, environment


def _database_snapshot(target: Path) -> None:
    connection = connections["default"]
    if connection.vendor == "sqlite":
        # Its own connection to the file, outside any transaction of the caller's (the
        # test database lives in memory: only Django's connection reaches it).
        in_memory = connection.is_in_memory_db()  # type: ignore[attr-defined]
        if in_memory:
            connection.ensure_connection()
            origin = connection.connection
        else:
            origin = sqlite3.connect(connection.settings_dict["NAME"], timeout=60)
        destination = sqlite3.connect(target)
        try:
            # One step (pages=-1): a single read transaction, hence one consistent state;
            # in WAL mode writers are not blocked meanwhile.
            origin.backup(destination)
            # A self-contained file: no -wal beside it.
            destination.execute("PRAGMA journal_mode=DELETE")
        finally:
            destination.close()
            if not in_memory:
                origin.close()
        return
    if connection.vendor == "postgresql":
        arguments, environment = _pg_environment()
        result = subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-password",
                f"--file={target}",
                *arguments,
                str(connection.settings_dict["NAME"]),
            ],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupRefused(
                _("pg_dump a échoué : %(error)s") % {"error": result.stderr.strip()[:500]}
            )
        return
    raise BackupRefused(
        _("Base de données non prise en charge : %(vendor)s.") % {"vendor": connection.vendor}
    )


def _destination_ready(dest: Path) -> None:
    media = _media_root()
    if media is not None and dest.is_relative_to(media.resolve()):
        raise BackupRefused(
            _("Une sauvegarde ne peut pas être écrite dans le dossier des fichiers %(path)s.")
            % {"path": media}
        )
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupRefused(
            _("%(path)s existe déjà et n'est pas un dossier vide : choisissez un autre chemin.")
            % {"path": dest}
        )
    dest.mkdir(parents=True, exist_ok=True)


def backup_make(dest: Path) -> BackupReport:
    """Write a complete backup into `dest` (absent or an empty folder)."""
    dest = dest.resolve()
    _destination_ready(dest)
    report = BackupReport(path=dest)
    files: dict[str, dict[str, Any]] = {}

    heads = heads_current()
    database_file = SQLITE_FILE if _vendor() == "sqlite" else PGDUMP_FILE
    _database_snapshot(dest / database_file)
    files[database_file] = _entry(dest / database_file)

    storage: dict[str, Any]
    media = _media_root()
    if media is None:
        report.media_included = False
        storage = {
            "kind": "s3",
            "bucket": settings.S3_BUCKET,
            "included": False,
        }
    else:
        storage = {"kind": "filesystem", "included": True}
        for path in _walk(media) if media.exists() else ():
            relative = path.relative_to(media).as_posix()
            target = dest / MEDIA / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with path.open("rb") as source, target.open("wb") as copy:
                    sha256, size = _copy_hashing(source, copy)
            except FileNotFoundError:
                continue  # deleted since the listing (a purge, an export's expiry)
            files[f"{MEDIA}/{relative}"] = {"sha256": sha256, "size": size}

    key_file = Path(settings.DATA_DIR) / SECRET_KEY_FILE
    if key_file.exists():
        shutil.copyfile(key_file, dest / SECRET_KEY_FILE)
        os.chmod(dest / SECRET_KEY_FILE, 0o600)
        files[SECRET_KEY_FILE] = _entry(dest / SECRET_KEY_FILE)

    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": timezone.now().isoformat(),
        "database": {"vendor": _vendor(), "file": database_file},
        "storage": storage,
        "audit_heads": heads_as_json(heads),
        "files": files,
    }
    temporary = dest / f".{MANIFEST}.tmp"
    with temporary.open("w") as handle:
        json.dump(manifest, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.rename(dest / MANIFEST)
    anchor_write(source="backup", heads=heads)

    report.files = len(files)
    report.bytes = sum(int(entry["size"]) for entry in files.values())
    report.heads = heads
    return report


# --- Reading and checking a backup --------------------------------------------------------


def manifest_read(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupRefused(
            _(
                "%(path)s n'a pas de manifest.json : ce n'est pas une sauvegarde Comptoir, "
                "ou elle n'a pas été terminée."
            )
            % {"path": source}
        ) from None
    except ValueError:
        raise BackupRefused(
            _("Le manifest.json de %(path)s est illisible.") % {"path": source}
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(_("%(path)s n'est pas une sauvegarde Comptoir.") % {"path": source})
    if manifest.get("version") != VERSION:
        raise BackupRefused(
            _("Version de sauvegarde %(version)s inconnue.") % {"version": manifest.get("version")}
        )
    return manifest


def backup_check(source: Path) -> dict[str, Any]:
    """The manifest, once every file it lists has its size and SHA-256 (and no file is
    outside the folder)."""
    source = source.resolve()
    manifest = manifest_read(source)
    for name, expected in sorted(manifest["files"].items()):
        path = (source / name).resolve()
        if not path.is_relative_to(source):
            raise BackupRefused(_("Chemin refusé dans le manifeste : %(name)s") % {"name": name})
        if not path.is_file():
            raise BackupRefused(
                _("Fichier manquant dans la sauvegarde : %(name)s") % {"name": name}
            )
        if file_sha256(path) != (expected["sha256"], expected["size"]):
            raise BackupRefused(
                _("Fichier altéré dans la sauvegarde (empreinte SHA-256 différente) : %(name)s")
                % {"name": name}
            )
    return manifest


# --- Restore ------------------------------------------------------------------------------


def _database_is_empty() -> bool:
    connection = connections["default"]
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def _database_restore(source: Path, manifest: dict[str, Any]) -> None:
    connection = connections["default"]
    backup_file = source / manifest["database"]["file"]
    if connection.vendor == "sqlite":
        connection.close()
        origin = sqlite3.connect(backup_file)
        target = sqlite3.connect(connection.settings_dict["NAME"])
        try:
            origin.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            origin.close()
            target.close()
        return
    arguments, environment = _pg_environment()
    connection.close()
    result = subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--no-password",
            *arguments,
            f"--dbname={connection.settings_dict['NAME']}",
            str(backup_file),
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupRefused(
            _("pg_restore a échoué : %(error)s") % {"error": result.stderr.strip()[:500]}
        )


@dataclass
class RestoreReport:
    files: int
    media_included: bool
    heads: int


def restore(source: Path) -> RestoreReport:
    """Restore a checked backup into this instance's database and data folder, both empty.

    Refuses (and changes nothing) when a file does not match its checksum, when the
    database engine differs, or when the database has a table or the media folder a file.
    """
    source = source.resolve()
    manifest = backup_check(source)
    vendor = manifest["database"]["vendor"]
    if vendor != _vendor():
        raise BackupRefused(
            _(
                "Cette sauvegarde vient d'une base %(backup)s ; la base configurée est %(here)s. "
                "Restaurez sur le même moteur."
            )
            % {"backup": vendor, "here": _vendor()}
        )
    if not _database_is_empty():
        raise BackupRefused(
            _(
                "La base de données configurée n'est pas vide : la restauration se fait "
                "seulement dans une base neuve (rien n'a été modifié)."
            )
        )
    media = _media_root()
    media_files = [name for name in manifest["files"] if name.startswith(f"{MEDIA}/")]
    if media is not None and media.exists() and any(_walk(media)):
        raise BackupRefused(
            _(
                "Le dossier des fichiers %(path)s n'est pas vide : la restauration se fait "
                "seulement dans un dossier de données neuf (rien n'a été modifié)."
            )
            % {"path": media}
        )

    _database_restore(source, manifest)
    if media is not None:
        for name in media_files:
            target = media / name.removeprefix(f"{MEDIA}/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, target)
            os.chmod(target, settings.FILE_UPLOAD_PERMISSIONS or 0o640)
    if SECRET_KEY_FILE in manifest["files"]:
        # Sessions, share links' signed cookies and unsubscribe links keep working.
        key_file = Path(settings.DATA_DIR) / SECRET_KEY_FILE
        key_file.unlink(missing_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write((source / SECRET_KEY_FILE).read_bytes())
    heads = heads_from_json(manifest["audit_heads"])
    # The backup's heads become the last anchor: events after the backup are knowingly gone.
    anchor_write(source="restore", heads=heads)
    return RestoreReport(
        files=len(media_files),
        media_included=bool(manifest["storage"].get("included")),
        heads=len(heads),
    )


# --- Scheduled backups ---------------------------------------------------------------------


def backup_scheduled_run(*, now: datetime.datetime | None = None) -> Path | None:
    """A backup into BACKUP_DIR/comptoir-<UTC time>/, then only the newest BACKUP_KEEP
    complete ones are kept (and unfinished ones older than the newest are removed).
    Nothing when BACKUP_DIR is not set."""
    if not settings.BACKUP_DIR:
        return None
    root = Path(settings.BACKUP_DIR)
    root.mkdir(parents=True, exist_ok=True)
    now = now or timezone.now()
    name = f"{SCHEDULED_PREFIX}{now.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}"
    made = backup_make(root / name)
    backups_prune(root, keep=settings.BACKUP_KEEP, newest=name)
    return made.path


def backups_prune(root: Path, *, keep: int, newest: str) -> list[str]:
    names = sorted(
        entry.name
        for entry in root.iterdir()
        if entry.is_dir() and entry.name.startswith(SCHEDULED_PREFIX) and entry.name <= newest
    )
    complete = [name for name in names if (root / name / MANIFEST).exists()]
    unfinished = [name for name in names if name not in complete and name < newest]
    removed = complete[:-keep] + unfinished
    for name in removed:
        shutil.rmtree(root / name)
    return removed
