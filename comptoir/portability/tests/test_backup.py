"""`comptoir backup` / `comptoir restore`, run for real in subprocesses: a round trip while
the app writes, every checksum, the audit chain and a download after the restore."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from comptoir.testing.processes import comptoir_env, comptoir_run

SEED = "from comptoir.testing.seed import seed_print; seed_print()"


def run(*args: str, data_dir: Path, env=None, timeout: float = 180):
    result = comptoir_run(*args, data_dir=data_dir, env=env, timeout=timeout)
    return result


def ok(*args: str, data_dir: Path, env=None) -> str:
    result = run(*args, data_dir=data_dir, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def databases_on_postgres():
    """Two throwaway databases on the machine's PostgreSQL (only in a PostgreSQL run)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    base = url.rsplit("/", 1)[0]
    names = [f"comptoir_bk_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    return base, names


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    """Environment for the source and the target instance: SQLite files in each data
    folder, or (PostgreSQL runs only) two new databases dropped afterwards."""
    if request.param == "sqlite":
        yield {}, {}
        return
    found = databases_on_postgres()
    if found is None:
        pytest.skip("PostgreSQL round trip: run with DATABASE_URL=postgres://…")
    base, names = found
    host = ["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c"]
    for name in names:
        subprocess.run(["psql", *host, f'CREATE DATABASE "{name}"'], check=True)
    try:
        yield {"DATABASE_URL": f"{base}/{names[0]}"}, {"DATABASE_URL": f"{base}/{names[1]}"}
    finally:
        for name in names:
            subprocess.run(
                ["psql", *host, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=False
            )


def test_a_backup_made_while_the_app_writes_restores_whole(tmp_path, engine):
    source_env, target_env = engine
    source, target, backup = tmp_path / "source", tmp_path / "target", tmp_path / "backup"
    ok("migrate", "-v", "0", data_dir=source, env=source_env)
    seeded = json.loads(ok("shell", "-c", SEED, data_dir=source, env=source_env).splitlines()[-1])

    # The app keeps writing events into the dossier's chain during the backup.
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "comptoir.cli",
            "shell",
            "-c",
            "from comptoir.testing.seed import events_write_forever; "
            f"events_write_forever({seeded['slug']!r})",
        ],
        env=comptoir_env(source, source_env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        out = ok("backup", str(backup), data_dir=source, env=source_env)
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert "Sauvegarde terminée" in out

    manifest = json.loads((backup / "manifest.json").read_text())
    media = {name for name in manifest["files"] if name.startswith("media/documents/")}
    assert len(media) == 3  # two versions of the statement, the picture
    assert manifest["audit_heads"][f"d:{_dossier_id(source, source_env, seeded)}"][0] >= 4
    # The backup's heads are the last anchor of the source's anchors file.
    last_anchor = json.loads((source / "anchors" / "anchors.jsonl").read_text().splitlines()[-1])
    assert last_anchor["source"] == "backup"
    assert last_anchor["heads"] == manifest["audit_heads"]

    out = ok("restore", str(backup), data_dir=target, env=target_env)
    assert "Restauration terminée : la base et 3 fichiers, vérifiés." in out or (
        "fichiers, vérifiés" in out
    )
    # Every file the manifest lists is back, byte for byte.
    for name, entry in manifest["files"].items():
        if name.startswith("media/"):
            restored = target / name
        elif name == "secret_key":
            restored = target / "secret_key"
        else:
            continue
        assert sha256(restored) == entry["sha256"], name
    if not source_env:
        # Same rows in every table as the snapshot.
        snapshot = sqlite3.connect(backup / "database.sqlite3")
        restored_db = sqlite3.connect(target / "comptoir.sqlite3")
        tables = [
            row[0]
            for row in snapshot.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        assert "audit_auditevent" in tables
        for table in tables:
            query = f'SELECT count(*) FROM "{table}"'  # noqa: S608 - names from sqlite_master
            assert snapshot.execute(query).fetchone() == restored_db.execute(query).fetchone()
        snapshot.close()
        restored_db.close()

    verified = ok("audit-verify", data_dir=target, env=target_env)
    assert "Chaîne intacte" in verified
    assert "Conforme à l'ancre" in verified

    for document_id, expected in seeded["documents"].items():
        downloaded = ok(
            "shell",
            "-c",
            "from comptoir.testing.seed import download_print; "
            f"download_print(email={seeded['email']!r}, slug={seeded['slug']!r}, "
            f"document_id={document_id})",
            data_dir=target,
            env={**target_env, "ALLOWED_HOSTS": "testserver", "HTTPS": "false"},
        )
        assert downloaded.split()[-2:] == ["200", expected]

    # A second restore into the now full instance is refused, and says why.
    again = run("restore", str(backup), data_dir=target, env=target_env)
    assert again.returncode == 1
    assert "n'est pas vide" in again.stderr
    assert "rien n'a été modifié" in again.stderr


def _dossier_id(data_dir: Path, env, seeded) -> int:
    out = ok(
        "shell",
        "-c",
        "from comptoir.dossiers.models import Dossier; "
        f"print(Dossier.objects.get(slug={seeded['slug']!r}).pk)",
        data_dir=data_dir,
        env=env,
    )
    return int(out.split()[-1])


@pytest.fixture(scope="module")
def made_once(tmp_path_factory):
    """A backup of a small SQLite instance, made once for this module."""
    root = tmp_path_factory.mktemp("made")
    source, backup = root / "source", root / "backup"
    ok("migrate", "-v", "0", data_dir=source)
    ok("shell", "-c", SEED, data_dir=source)
    ok("backup", str(backup), data_dir=source)
    return backup


@pytest.fixture
def made(made_once, tmp_path):
    """A copy of it each test may spoil."""
    return Path(shutil.copytree(made_once, tmp_path / "backup"))


def test_a_tampered_backup_is_refused_and_nothing_is_written(tmp_path, made):
    manifest = json.loads((made / "manifest.json").read_text())
    name = next(name for name in manifest["files"] if name.startswith("media/documents/"))
    with (made / name).open("r+b") as handle:
        handle.write(b"X")
    target = tmp_path / "target"
    result = run("restore", str(made), data_dir=target)
    assert result.returncode == 1
    assert f"Fichier altéré dans la sauvegarde (empreinte SHA-256 différente) : {name}" in (
        result.stderr
    )
    assert not (target / "media").exists() or not any((target / "media").rglob("*.*"))
    assert _tables(target / "comptoir.sqlite3") == []


def _tables(path: Path) -> list[str]:
    if not path.exists():
        return []
    database = sqlite3.connect(path)
    try:
        return [row[0] for row in database.execute("SELECT name FROM sqlite_master")]
    finally:
        database.close()


def test_a_missing_file_or_manifest_is_refused(tmp_path, made):
    manifest = json.loads((made / "manifest.json").read_text())
    name = next(name for name in manifest["files"] if name.startswith("media/"))
    (made / name).unlink()
    result = run("restore", str(made), data_dir=tmp_path / "t1")
    assert result.returncode == 1
    assert f"Fichier manquant dans la sauvegarde : {name}" in result.stderr

    (made / "manifest.json").unlink()
    result = run("restore", str(made), data_dir=tmp_path / "t2")
    assert result.returncode == 1
    assert "n'a pas de manifest.json" in result.stderr


def test_backup_refuses_a_folder_that_is_not_empty(tmp_path, made):
    result = run("backup", str(made), data_dir=tmp_path / "other")
    assert result.returncode == 1
    assert "n'est pas un dossier vide" in result.stderr


def test_restore_refuses_a_data_folder_with_files(tmp_path, made):
    target = tmp_path / "target"
    (target / "media" / "documents").mkdir(parents=True)
    (target / "media" / "documents" / "left-over").write_bytes(b"x")
    result = run("restore", str(made), data_dir=target)
    assert result.returncode == 1
    assert "Le dossier des fichiers" in result.stderr
    assert "n'est pas vide" in result.stderr
    shutil.rmtree(target / "media")
    assert run("restore", str(made), data_dir=target).returncode == 0
