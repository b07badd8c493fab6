"""Online backup and restore: the SQLite backup API, or pg_dump/pg_restore on PostgreSQL."""

import os
import shutil
import sqlite3
import subprocess  # noqa: S404 — runs pg_dump/pg_restore with fixed arguments, no shell
from pathlib import Path

from sqlalchemy.engine import make_url

from app.extensions import db


def _libpq_url() -> str:
    url = make_url(db.engine.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed; it is needed to back up PostgreSQL.")
    return found


def backup(path: Path) -> None:
    """Copy the live database to `path` while the app keeps serving and writing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Readable by the owner only from its first byte: made empty with that mode, then filled.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(path, 0o600)  # a file that was there before keeps its mode otherwise
    if db.engine.dialect.name == "sqlite":
        raw = db.engine.raw_connection()
        try:
            target = sqlite3.connect(path)
            with target:
                # One step: a single read snapshot, which in WAL mode never blocks writers.
                # Copying in several steps restarts whenever another connection writes in
                # between, so under a steady write load a large database never finishes.
                raw.driver_connection.backup(target, pages=-1)
            target.close()
        finally:
            raw.close()
        return
    subprocess.run(  # noqa: S603
        [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={path}",
         f"--dbname={_libpq_url()}"],
        check=True, capture_output=True,
    )


def restore(path: Path) -> None:
    """Replace the database's contents with the backup at `path`."""
    if not path.is_file():
        raise FileNotFoundError(path)
    if db.engine.dialect.name == "sqlite":
        source = sqlite3.connect(path)
        raw = db.engine.raw_connection()
        try:
            source.backup(raw.driver_connection)
        finally:
            raw.close()
            source.close()
        db.engine.dispose()
        return
    db.engine.dispose()
    subprocess.run(  # noqa: S603
        [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
         f"--dbname={_libpq_url()}", str(path)],
        check=True, capture_output=True,
    )


def integrity_ok() -> bool:
    """SQLite's own integrity check, or a trivial query on PostgreSQL."""
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            return conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        return conn.exec_driver_sql("SELECT 1").scalar() == 1
