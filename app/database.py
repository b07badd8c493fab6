"""Engine set-up: SQLite pragmas, write transactions that take the lock up front, and a queue
that hands the write lock from one request to the next without sleeping."""

from __future__ import annotations

import fcntl
import os
import threading

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.extensions import db

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
QUEUE_WAIT_SECONDS = 10.0  # as long as SQLite's own busy_timeout; past it, SQLite decides


def lock_for_change(model) -> dict | None:
    """`with_for_update` for a loader: lock the row it reads (SELECT ... FOR UPDATE OF, on
    PostgreSQL) in a request that may change it, so two people deciding at once take turns
    and the second sees the first's decision (and gets a 409) instead of acting on what it
    read before. SQLite needs nothing: its write transactions already take turns."""
    if has_request_context() and request.method not in READ_METHODS:
        return {"of": model}
    return None


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's begin event issue BEGIN itself (pysqlite would otherwise defer it).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    files = [row[2] for row in cursor.execute("PRAGMA database_list") if row[2]]
    cursor.close()
    for path in files:
        owner_only(path)


def owner_only(path: str) -> None:
    """The database file, and the WAL files SQLite makes with the same mode, readable and
    writable by the owner only (SECURITY.md: the database, its WAL files, every backup)."""
    for name in (path, f"{path}-wal", f"{path}-shm"):
        try:
            os.chmod(name, 0o600)
        except FileNotFoundError:
            continue


class WriterQueue:
    """Requests that write to one SQLite file take turns here before BEGIN IMMEDIATE.

    SQLite itself makes a second writer sleep and retry (1, 2, 5, 10, ... 100 ms), so under
    load a writer often sleeps long after the lock is free. Here a waiting request blocks on
    a lock the operating system hands over the moment the holder lets go: a thread lock
    within the process, then flock(2) on a file beside the database across processes
    (gunicorn's workers). Requests only; anything else still relies on busy_timeout.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        # One open file per process, opened after the fork: a descriptor inherited from a
        # parent would share its lock with every sibling.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> bool:
        """Wait for this request's turn; False when the wait ran out (SQLite then decides)."""
        if not self._threads.acquire(timeout=QUEUE_WAIT_SECONDS):
            return False
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except OSError:
            self._threads.release()
            return False
        return True

    def release(self) -> None:
        """Let the next request write."""
        try:
            fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._threads.release()


_queues: dict[str, WriterQueue] = {}


def _queue_for(engine: Engine) -> WriterQueue | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = os.path.abspath(database) + ".writers"
    return _queues.setdefault(path, WriterQueue(path))


def _sqlite_begin(connection) -> None:
    # A plain BEGIN fails with "database is locked" when two writers upgrade at once;
    # BEGIN IMMEDIATE takes the write lock first and waits on busy_timeout instead.
    # Reads keep a deferred BEGIN so they never block each other: every GET, and what a
    # POST does after its commit (a request commits once, then only reads to render its
    # answer), so the next writer need not wait for that rendering.
    if not has_request_context():
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    if request.method in READ_METHODS or g.get("committed"):
        connection.exec_driver_sql("BEGIN")
        return
    if g.get("writer_queue") is None:
        queue = _queue_for(connection.engine)
        if queue is not None and queue.acquire():
            g.writer_queue = queue
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _let_next_writer_in() -> None:
    queue = g.pop("writer_queue", None) if has_request_context() else None
    if queue is not None:
        queue.release()


def _after_commit(_session) -> None:
    if has_request_context():
        g.committed = True
        _let_next_writer_in()


def _after_rollback(_session) -> None:
    _let_next_writer_in()


def _one_commit_per_request(session, _context, _instances) -> None:
    # What follows a request's commit runs in a deferred transaction (see _sqlite_begin), so
    # a second write there would not be BEGIN IMMEDIATE; refuse it rather than risk it.
    if (has_request_context() and request.method not in READ_METHODS and g.get("committed")
            and (session.new or session.dirty or session.deleted)):
        raise RuntimeError("a request commits its changes once; this one wrote after its commit")


def configure_engine(app: Flask) -> None:
    """Attach the SQLite listeners to this app's engine."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            for name, listener in (("after_commit", _after_commit),
                                   ("after_rollback", _after_rollback),
                                   ("before_flush", _one_commit_per_request)):
                if not event.contains(Session, name, listener):
                    event.listen(Session, name, listener)
            # A request that ends without commit or rollback (an error) still lets go.
            app.teardown_request(lambda _error=None: _let_next_writer_in())
