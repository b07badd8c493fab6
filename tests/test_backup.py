"""A backup taken while writes continue restores into an empty database with every row it
holds, passes the integrity check and keeps an intact audit chain. SQLite uses the online
backup API; PostgreSQL uses pg_dump/pg_restore."""

import re
import sqlite3
import subprocess
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.exc import DBAPIError

from app import audit, create_app
from app import backup as backups
from app.extensions import db
from app.people.models import Role, Status, User
from tests.conftest import test_config

FIRST_WRITES = 20  # the backup starts once the writer has committed this many
WRITES_AFTER = 20  # and the writer commits this many more once the backup is done
WRITE_AT_MOST = 60  # seconds: a safety net so a stuck run fails instead of hanging
PADDING = "录音质检" * 100  # ~1.2 KB of text per seeded row


class Writer(threading.Thread):
    """Adds a person and their audit row, one transaction each. Its events order the test,
    not sleeps: `ready` is set after FIRST_WRITES commits (the backup may start), the test
    sets `backup_done` when its backups are written, and the writer keeps writing until then
    and WRITES_AFTER commits more, then stops and sets `finished`."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app = app
        self.written = 0
        self.written_when_told = None  # commits made when backup_done was first seen
        self.error: BaseException | None = None
        self.ready = threading.Event()
        self.backup_done = threading.Event()
        self.finished = threading.Event()
        self.stopping = threading.Event()  # stop now (the fixture's clean-up)

    def run(self) -> None:
        deadline = time.monotonic() + WRITE_AT_MOST
        try:
            with self.app.app_context():
                while not self.stopping.is_set() and time.monotonic() < deadline:
                    if self.backup_done.is_set() and self.written_when_told is None:
                        self.written_when_told = self.written
                    if (self.written_when_told is not None
                            and self.written >= self.written_when_told + WRITES_AFTER):
                        break
                    n = self.written + 1
                    user = User(
                        username=f"writer{n}", employee_no=f"W{n:06d}", name=f"写入{n}",
                        phone="", role=Role.AGENT, grade="junior", hire_date=date(2026, 1, 1),
                        status=Status.ACTIVE, password_hash="x", must_change_password=True,
                    )
                    db.session.add(user)
                    audit.record("test.write", user, after={"n": n})
                    db.session.commit()
                    self.written = n
                    if n == FIRST_WRITES:
                        self.ready.set()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 — reported to the test thread
            self.error = error
        finally:
            self.ready.set()  # never leave the test waiting on a writer that has stopped
            self.finished.set()

    def wait_ready(self) -> int:
        """Block until FIRST_WRITES commits are in; the number of commits so far."""
        assert self.ready.wait(WRITE_AT_MOST), "the writer never got going"
        assert self.error is None, f"writer failed: {self.error!r}"
        assert self.written >= FIRST_WRITES, "the writer stopped before its first writes"
        return self.written

    def finish_after_backup(self) -> None:
        """Tell the writer the backup is done; block until its last writes are in."""
        self.backup_done.set()
        assert self.finished.wait(WRITE_AT_MOST), "the writer did not finish"
        self.join(WRITE_AT_MOST)
        assert self.error is None, repr(self.error)
        assert not self.is_alive()
        assert self.written_when_told is not None, "the writer stopped before the backup ended"
        assert self.written == self.written_when_told + WRITES_AFTER


def seed(rows: int = 1500) -> None:
    """Enough data (well over a few hundred pages) that a backup cannot be one quick step."""
    for n in range(rows):
        audit.record("test.seed", object_type="test", object_id=n, after={"pad": PADDING})
        if n % 250 == 0:
            db.session.commit()
    db.session.commit()


def table_counts() -> dict[str, int]:
    """Rows in every table of the current app's database."""
    with db.engine.connect() as conn:
        return {
            name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()  # noqa: S608
            for name in inspect(conn).get_table_names()
        }


def counts_in_backup(path: Path, dialect: str) -> dict[str, int]:
    """Rows in every table as the backup file itself holds them."""
    if dialect == "sqlite":
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )]
            return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]  # noqa: S608
                    for n in names}
        finally:
            conn.close()
    # pg_dump custom format: list the data as SQL and count the lines of each COPY block.
    script = subprocess.run(
        [backups._tool("pg_restore"), "--data-only", "--file=-", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout
    counts: dict[str, int] = {}
    table = None
    for line in script.splitlines():
        if table is None:
            match = re.match(r'COPY (?:public\.)?"?([^"\s(]+)"? .*FROM stdin;$', line)
            if match:
                table = match.group(1)
                counts[table] = 0
        elif line == "\\.":
            table = None
        else:
            counts[table] += 1
    return counts


@pytest.fixture
def busy_app(app):
    """The live app, seeded, with a writer thread adding rows; the writer is always stopped."""
    seed()
    writer = Writer(app)
    yield app, writer
    writer.stopping.set()
    writer.join(WRITE_AT_MOST + 5)


def test_backup_while_writing_restores_completely(busy_app, tmp_path):
    app, writer = busy_app
    dialect = db.engine.dialect.name
    api_copy = tmp_path / "backups" / "api.backup"
    cli_copy = tmp_path / "backups" / "cli.backup"

    writer.start()
    writer.wait_ready()  # the backups start while the writer is writing
    backups.backup(api_copy)
    result = app.test_cli_runner().invoke(args=["backup", str(cli_copy)])
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output
    assert writer.is_alive(), "the writer stopped before the backups were done"
    # The app keeps taking writes after the backups: WRITES_AFTER more rows arrive.
    writer.finish_after_backup()

    db.session.remove()
    original = table_counts()
    db.engine.dispose()

    for copy in (api_copy, cli_copy):
        in_backup = counts_in_backup(copy, dialect)
        assert in_backup["audit_event"] > 1500, "the seeded rows are missing from the backup"
        assert in_backup["user"] >= FIRST_WRITES, "the backup misses writes made before it began"
        # The original kept receiving writes after this backup was taken.
        assert original["user"] > in_backup["user"]
        assert original["audit_event"] > in_backup["audit_event"]
        # Each writer transaction adds a person and its audit row together: a consistent
        # snapshot holds both or neither.
        assert in_backup["audit_event"] - in_backup["user"] == 1500

        # A fresh, empty database (a new SQLite file; on PostgreSQL the schema is reset).
        target = tmp_path / f"restore-{copy.stem}"
        target.mkdir()
        restored = create_app(test_config(target))
        with restored.app_context():
            try:
                assert table_counts() == {}
                result = restored.test_cli_runner().invoke(args=["restore", str(copy), "--yes"])
                assert result.exit_code == 0, result.output
                assert backups.integrity_ok()
                assert table_counts() == in_backup
                verified = restored.test_cli_runner().invoke(args=["audit-verify"])
                assert verified.exit_code == 0, verified.output
                assert f"{in_backup['audit_event']} rows" in verified.output
                newest = db.session.scalar(select(func.max(User.id)))
                assert newest == in_backup["user"]
                # The restored audit trail is still append-only.
                with pytest.raises(DBAPIError, match="append-only"):
                    db.session.execute(update(audit.AuditEvent).values(after="{}"))
                db.session.rollback()
            finally:
                db.session.remove()
                db.engine.dispose()


def test_backup_of_a_large_database_finishes_while_writes_continue(app, tmp_path):
    # Large enough that a backup copied in small steps, restarting whenever another
    # connection writes, would not finish until the writes stopped.
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE backup_padding (id INTEGER PRIMARY KEY, x TEXT)"))
        conn.execute(text("INSERT INTO backup_padding (id, x) VALUES (:id, :x)"),
                     [{"id": n, "x": f"{n:08d}" + "x" * 4000} for n in range(1, 6001)])
    writer = Writer(app)
    writer.start()
    try:
        before = writer.wait_ready()
        backups.backup(tmp_path / "large.backup")
        after = writer.written
        assert writer.is_alive(), "the backup only finished once the writes had stopped"
        writer.finish_after_backup()  # and the writes go on after it
    finally:
        writer.stopping.set()
        writer.join(WRITE_AT_MOST + 5)
    assert writer.error is None, repr(writer.error)
    assert writer.written >= after + WRITES_AFTER
    assert after > before, "writes were blocked while the backup ran"
    in_backup = counts_in_backup(tmp_path / "large.backup", db.engine.dialect.name)
    assert in_backup["backup_padding"] == 6000
    assert before <= in_backup["user"] <= after


def test_restore_refuses_without_confirmation(app, runner, tmp_path):
    copy = tmp_path / "db.backup"
    backups.backup(copy)
    result = runner.invoke(args=["restore", str(copy)], input="n\n")
    assert result.exit_code != 0
    assert "Aborted" in result.output


def test_restore_of_a_missing_file_fails(runner, tmp_path):
    result = runner.invoke(args=["restore", str(tmp_path / "nope.backup"), "--yes"])
    assert result.exit_code != 0


# Issue 13: "Files readable by the owner only: the database, its WAL files, every backup."
def test_the_database_its_wal_files_and_every_backup_are_the_owners_only(app, make_user,
                                                                         tmp_path):
    make_user()  # a write: the WAL files exist now
    db.session.commit()
    target = tmp_path / "backups" / "nightly.db"
    target.parent.mkdir()
    target.write_bytes(b"")
    target.chmod(0o644)  # an older file of that name, readable by anyone
    backups.backup(target)
    if db.engine.dialect.name == "sqlite":
        live = db.engine.url.database
        files = [Path(live), Path(f"{live}-wal"), Path(f"{live}-shm")]
        assert all(f.exists() for f in files)
    else:
        files = []
    for path in [*files, target]:
        assert path.stat().st_mode & 0o777 == 0o600, path
