"""Engine set-up: SQLite pragmas and write transactions that take the lock up front."""

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's begin event issue BEGIN itself (pysqlite would otherwise defer it).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # A plain BEGIN fails with "database is locked" when two writers upgrade at once;
    # BEGIN IMMEDIATE takes the write lock first and waits on busy_timeout instead.
    # Reads (GET never changes state) keep a deferred BEGIN so they never block each other.
    if has_request_context() and request.method in READ_METHODS:
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def configure_engine(app: Flask) -> None:
    """Attach the SQLite listeners to this app's engine."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
