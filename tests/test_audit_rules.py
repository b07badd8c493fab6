"""The audit trail's rules (SECURITY.md, "Data that must not be lost"), on the module itself:
"Every change of state writes its audit row in the same transaction: who, role, what, which
object, before/after, when (UTC), from where. The audit table is append-only and hash-chained
... No passwords, tokens or customer numbers in it." Each row's hash is recomputed here from the
rule, not from the module's own payload()."""

import hashlib
import json
from datetime import UTC, date, datetime, time

import pytest
from flask_login import login_user, logout_user
from sqlalchemy import func, select, text

from app import audit
from app.audit import GENESIS, AuditEvent
from app.extensions import db


def expected_hash(row: AuditEvent) -> str:
    """SHA-256 over the row's fields, in the order the chain was defined with."""
    fields = [row.id, row.at.isoformat(), row.actor_id, row.actor_role, row.action,
              row.object_type, row.object_id, row.before, row.after, row.address, row.prev_hash]
    return hashlib.sha256(
        json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def test_the_first_row_starts_the_chain_and_each_next_row_links_to_the_last(app, clock):
    first = audit.record("test.first", object_type="test", object_id=1)
    db.session.commit()
    second = audit.record("test.second", object_type="test", object_id=2)
    db.session.commit()
    assert (first.id, first.prev_hash) == (1, GENESIS)
    assert (second.id, second.prev_hash) == (2, first.hash)
    assert first.hash == expected_hash(first) == first.compute_hash()
    assert second.hash == expected_hash(second)
    assert len({first.hash, second.hash}) == 2


def test_a_row_records_who_in_which_role_what_which_object_and_when(app, make_user, clock):
    clock.set(datetime(2026, 11, 20, 2, 0, 7, 654321, tzinfo=UTC))
    boss = make_user(role="supervisor")
    agent = make_user()
    row = audit.record("person.update", agent, actor=boss,
                       before={"grade": "junior"}, after={"grade": "senior"})
    db.session.commit()
    row = db.session.get(AuditEvent, row.id)
    assert row.at == datetime(2026, 11, 20, 2, 0, 7, tzinfo=UTC)  # whole seconds, UTC
    assert (row.actor_id, row.actor_role, row.action) == (boss.id, "supervisor", "person.update")
    assert (row.object_type, row.object_id) == ("user", str(agent.id))
    assert (row.before, row.after) == ('{"grade": "junior"}', '{"grade": "senior"}')
    assert row.address == ""  # outside a request there is no "from where"
    assert row.hash == expected_hash(row)


def test_without_an_actor_the_signed_in_person_is_the_actor_and_their_address_is_kept(
        app, make_user):
    agent = make_user()
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        login_user(agent)
        row = audit.record("test.event", object_type="test", object_id=5)
    assert (row.actor_id, row.actor_role, row.address) == (agent.id, "agent", "10.1.2.3")
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "f" * 80}):
        logout_user()
        row = audit.record("test.event", object_type="test", object_id=6)
    assert (row.actor_id, row.actor_role) == (None, "")  # nobody signed in
    assert row.address == "f" * 64


def test_an_object_not_yet_saved_is_flushed_to_get_its_id(app, make_team):
    from app.people.models import Team

    team = Team(name="五组")
    db.session.add(team)
    row = audit.record("team.create", team, after={"name": "五组"})
    assert team.id is not None
    assert (row.object_type, row.object_id) == ("team", str(team.id))


def test_explicit_object_names_win_and_a_missing_id_is_empty(app, make_team):
    team = make_team()
    row = audit.record("test.event", team, object_type="squad", object_id="T-9")
    assert (row.object_type, row.object_id) == ("squad", "T-9")
    row = audit.record("test.event")
    assert (row.object_type, row.object_id, row.actor_id) == ("", "", None)
    assert (row.before, row.after) == ("{}", "{}")
    row = audit.record("test.event", object_type="setting", object_id=0)
    assert row.object_id == "0"


def test_values_are_stored_as_sorted_json_with_dates_in_iso_form(app):
    row = audit.record("test.event", object_type="test", after={
        "b": datetime(2026, 12, 1, 9, 30, tzinfo=UTC), "a": date(2026, 12, 1),
        "c": time(9, 30), "d": ("一组", 2), "e": {3}, "f": {"z": 1, "y": [date(2026, 1, 2)]},
        "g": None, "h": "张三"})
    assert row.after == (
        '{"a": "2026-12-01", "b": "2026-12-01T09:30:00+00:00", "c": "09:30:00", '
        '"d": ["一组", 2], "e": [3], "f": {"y": ["2026-01-02"], "z": 1}, "g": null, "h": "张三"}')
    assert row.hash == expected_hash(row)  # Chinese text hashed as written, not as \u escapes


@pytest.mark.parametrize("secret", sorted(audit.SECRET_FIELDS))
def test_no_secret_field_reaches_the_trail_at_any_depth(app, secret):
    """"No passwords, tokens or customer numbers in it.\""""
    row = audit.record("test.event", object_type="test",
                       before={secret: "s3cret-value", "kept": 1},
                       after={"nested": {secret: "s3cret-value", "kept": 2}})
    assert "s3cret-value" not in row.before + row.after
    assert json.loads(row.before) == {"kept": 1}
    assert json.loads(row.after) == {"nested": {"kept": 2}}


def test_changes_lists_each_changed_field_once_in_first_seen_order(app):
    row = audit.record("test.event", object_type="test",
                       before={"status": "pending_lead", "hours": 8, "same": 1},
                       after={"same": 1, "status": "approved", "note": "ok", "hours": 8})
    assert row.changes() == [("status", True, "pending_lead", "approved"),
                             ("note", False, None, "ok")]
    assert row.before_dict() == {"hours": 8, "same": 1, "status": "pending_lead"}
    assert row.after_dict() == {"hours": 8, "note": "ok", "same": 1, "status": "approved"}


def test_snapshot_takes_the_named_fields_only(app, make_team):
    team = make_team(name="七组")
    assert audit.snapshot(team, ["name", "id"]) == {"name": "七组", "id": team.id}
    assert audit.snapshot(team, []) == {}


def write(n: int) -> list[AuditEvent]:
    rows = []
    for i in range(1, n + 1):
        rows.append(audit.record("test.event", object_type="test", object_id=i))
        db.session.commit()
    return rows


def test_verify_walks_every_row_in_batches(app):
    write(7)
    report = audit.verify_chain(batch=3)  # three batches: 3 + 3 + 1
    assert (report.ok, report.checked, report.broken_at, report.reason) == (True, 7, None, "")
    assert audit.verify_chain(batch=7).checked == 7
    assert audit.verify_chain(batch=100).checked == 7


def test_an_empty_trail_verifies(app):
    report = audit.verify_chain()
    assert (report.ok, report.checked, report.broken_at) == (True, 0, None)


def tamper(sql: str) -> None:
    """What an attacker with database access would do: switch the guard off, then write."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    else:
        db.session.execute(text("DROP TRIGGER audit_event_no_update"))
        db.session.execute(text("DROP TRIGGER audit_event_no_delete"))
    db.session.execute(text(sql))
    db.session.commit()
    db.session.expire_all()


@pytest.mark.parametrize(("sql", "broken_at", "reason", "checked"), [
    ("UPDATE audit_event SET action = 'test.other' WHERE id = 5", 5, "hash", 4),
    ("UPDATE audit_event SET prev_hash = hash WHERE id = 5", 5, "link", 4),
    ("UPDATE audit_event SET actor_role = 'supervisor' WHERE id = 1", 1, "hash", 0),
    ("DELETE FROM audit_event WHERE id = 4", 5, "link", 3),  # across a batch boundary
])
def test_verify_names_the_first_broken_row(app, sql, broken_at, reason, checked):
    write(6)
    tamper(sql)
    report = audit.verify_chain(batch=4)
    assert (report.ok, report.broken_at, report.reason, report.checked) == (
        False, broken_at, reason, checked)


def test_rows_are_numbered_without_gaps(app):
    write(3)
    assert db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all() == [1, 2, 3]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 3


def test_the_append_only_guard_exists_for_both_databases_and_no_other(app):
    """"The audit table is append-only": the migrations install the same triggers as create_all,
    on SQLite and on PostgreSQL."""
    sqlite = audit.append_only_statements("sqlite")
    postgresql = audit.append_only_statements("postgresql")
    assert [s.split(" ON ")[0] for s in sqlite] == [
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE",
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE"]
    assert len(postgresql) == 2 and "BEFORE UPDATE OR DELETE ON audit_event" in postgresql[1]
    assert audit.append_only_statements("mysql") == []
    sqlite.clear()  # a copy: the caller cannot change the module's own list
    assert len(audit.append_only_statements("sqlite")) == 2


def test_an_empty_before_or_after_reads_as_no_fields(app):
    row = AuditEvent(before="", after="")
    assert (row.before_dict(), row.after_dict(), row.changes()) == ({}, {}, [])
