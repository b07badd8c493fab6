"""The migrations build exactly the models' schema, the audit trail's append-only trigger
included, and can be undone and redone. Runs on SQLite, or on PostgreSQL when
TEST_DATABASE_URL is set."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, inspect, update
from sqlalchemy.exc import DBAPIError

from app import ROOT, audit, create_app
from app.extensions import db
from tests.conftest import test_config

MIGRATIONS = str(ROOT / "migrations")


@pytest.fixture
def bare_app(tmp_path):
    """An app on an empty database: no create_all, the migrations must build everything."""
    application = create_app(test_config(tmp_path))
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def schema_diff() -> list:
    """What autogenerate would still want to change: nothing, when migrations match models."""
    configured = current_app.extensions["migrate"].configure_args
    opts = {"compare_type": True}
    # Honour the app's own filters (search tables are kept out of autogenerate).
    for key in ("include_object", "include_name"):
        if configured.get(key) is not None:
            opts[key] = configured[key]
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)


def app_tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def assert_append_only() -> None:
    """An audit row, once written, can be neither changed nor removed."""
    row = audit.record("test.migration", object_type="test", object_id=1, after={"n": 1})
    db.session.commit()
    row_id = row.id
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(
            update(audit.AuditEvent).where(audit.AuditEvent.id == row_id).values(after="{}")
        )
    db.session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(delete(audit.AuditEvent).where(audit.AuditEvent.id == row_id))
    db.session.rollback()
    assert db.session.get(audit.AuditEvent, row_id).after == '{"n": 1}'


def test_upgrade_gives_exactly_the_models_schema(bare_app):
    assert app_tables() == set()
    upgrade(directory=MIGRATIONS)
    assert app_tables() == set(db.metadata.tables)
    assert schema_diff() == []


def test_upgrade_installs_the_audit_trigger(bare_app):
    upgrade(directory=MIGRATIONS)
    assert_append_only()


def test_downgrade_to_base_and_upgrade_again(bare_app):
    upgrade(directory=MIGRATIONS)
    downgrade(directory=MIGRATIONS, revision="base")
    db.session.remove()
    assert app_tables() == set()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            left = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_proc WHERE proname = 'audit_event_append_only'"
            ).scalar()
        assert left == 0, "downgrade left the trigger function behind"
    upgrade(directory=MIGRATIONS)
    assert schema_diff() == []
    assert_append_only()


# Issue 13: "Employee nos. are unique ignoring case. The migration refuses, with a clear list, a
# database that already holds two that differ only in case."
def _person(number: str, pid: int) -> None:
    from sqlalchemy import text

    db.session.execute(text(
        'INSERT INTO "user" (id, username, employee_no, name, phone, role, grade, hire_date, '
        "status, password_hash, must_change_password, session_epoch, version, locale, "
        "created_at) VALUES (:id, :username, :number, '人', '', 'agent', 'junior', "
        "'2026-01-01', 'active', 'x', false, 1, 1, '', '2026-01-01 00:00:00+00:00')"),
        {"id": pid, "username": f"u{pid}", "number": number})


def test_the_migration_refuses_employee_nos_that_differ_only_in_case(bare_app):
    upgrade(directory=MIGRATIONS, revision="03dedaff684c")
    _person("CF1001", 1)
    _person("cf1001", 2)
    _person("CF2002", 3)
    db.session.commit()
    from alembic import command

    config = current_app.extensions["migrate"].migrate.get_config(MIGRATIONS)
    with pytest.raises(RuntimeError, match="differ only in upper and lower case") as refused:
        command.upgrade(config, "head")
    assert str(refused.value).endswith(": CF1001, cf1001")  # CF2002 has no twin
    db.session.rollback()
    from sqlalchemy import text

    db.session.execute(text('UPDATE "user" SET employee_no = \'CF1003\' WHERE id = 2'))
    db.session.commit()
    upgrade(directory=MIGRATIONS)
    with pytest.raises(DBAPIError, match="uq_user_employee_no_nocase"):
        _person("cf2002", 4)  # the index holds from now on
    db.session.rollback()
