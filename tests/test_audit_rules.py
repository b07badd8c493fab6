"""The audit trail's rules (SECURITY.md, "Data that must not be lost"), on the module itself:
"Every change of state writes its audit row in the same transaction: who, role, what, which
object, before/after, when (UTC), from where. The audit table is append-only and hash-chained
... No passwords, tokens or customer numbers in it." Each row's hash is recomputed here from the
rule, not from the module's own payload()."""

import hashlib
import hmac
import json
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from flask import current_app
from flask_login import login_user, logout_user
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app import audit
from app.audit import GENESIS, AuditEvent
from app.extensions import db


def expected_hash(row: AuditEvent) -> str:
    """HMAC-SHA-256 with the chain's key (issue 13: "Each link is an HMAC with a key kept
    outside the database") over the row's fields, in the order the chain was defined with."""
    fields = [row.id, row.at.isoformat(), row.actor_id, row.actor_role, row.action,
              row.object_type, row.object_id, row.before, row.after, row.address, row.prev_hash]
    return hmac.new(current_app.config["AUDIT_KEY"].encode(), json.dumps(
        fields, ensure_ascii=False, separators=(",", ":")).encode(), hashlib.sha256).hexdigest()


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


# --- issue 13: "A keyed audit chain" ---------------------------------------------------------

def _rewrite(rows_hash) -> None:
    """What someone with write access to the database (and no key) could do: lift the
    append-only triggers and rewrite every link with a hash of their choosing."""
    from app.audit import _set_append_only

    _set_append_only(False)
    prev = GENESIS
    for row in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        row.prev_hash = prev
        row.hash = prev = rows_hash(row)
    db.session.flush()
    _set_append_only(True)
    db.session.commit()


def _events(n: int) -> None:
    for i in range(n):
        audit.record("test.event", object_type="test", object_id=i)
    db.session.commit()


def test_a_chain_recomputed_with_plain_sha256_is_detected(app, clock):
    """"A chain recomputed with plain SHA-256 ... is detected"; with the key it would not be."""
    _events(3)
    assert audit.verify_chain().ok
    _rewrite(lambda row: row.unkeyed_hash())
    report = audit.verify_chain()
    assert (report.ok, report.broken_at, report.reason) == (False, 1, "hash")
    _rewrite(lambda row: hmac.new(b"another key", row.payload().encode(),
                                  hashlib.sha256).hexdigest())
    assert audit.verify_chain().broken_at == 1
    _rewrite(lambda row: row.compute_hash())
    assert audit.verify_chain().ok


def test_audit_verify_finds_a_chain_cut_short_at_its_end(app, runner, clock):
    """"flask audit-verify also checks the row count and head recorded at the last
    verification, which are kept outside the database too"; "cut short at its end, is
    detected"."""
    _events(4)
    first = runner.invoke(args=["audit-verify"])
    assert first.exit_code == 0 and "4 rows" in first.output
    kept = json.loads(Path(app.config["AUDIT_HEAD_FILE"]).read_text())
    assert kept == {"count": 4, "head": db.session.get(AuditEvent, 4).hash}
    _events(1)  # the chain grows: fine
    assert runner.invoke(args=["audit-verify"]).exit_code == 0
    from app.audit import _set_append_only

    _set_append_only(False)  # the last two rows removed, as an intruder would
    db.session.execute(text("DELETE FROM audit_event WHERE id > 3"))
    _set_append_only(True)
    db.session.commit()
    assert audit.verify_chain().ok  # the rest still links: only the remembered end shows it
    cut = runner.invoke(args=["audit-verify"])
    assert cut.exit_code == 1 and "cut short: the chain has 3 rows, 5 at the last" in cut.output


def test_audit_verify_finds_the_end_rewritten_after_the_last_check(app, runner, clock):
    _events(3)
    assert runner.invoke(args=["audit-verify"]).exit_code == 0
    from app.audit import _set_append_only

    _set_append_only(False)
    db.session.execute(text("DELETE FROM audit_event WHERE id = 3"))
    _set_append_only(True)
    db.session.commit()
    _events(1)  # a new third row, keyed and linked (as someone holding the key could)
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1 and "row 3 is not the row the last verification" in result.output


def test_an_unkeyed_chain_is_resealed_by_one_audited_command(app, runner, clock):
    """"Moving today's chain to HMAC is one audited command: it verifies the old chain, then
    reseals it.\""""
    _events(3)
    _rewrite(lambda row: row.unkeyed_hash())  # a chain as it was before the key
    told = runner.invoke(args=["audit-verify"])
    assert told.exit_code == 1 and "flask audit-reseal" in told.output
    done = runner.invoke(args=["audit-reseal"])
    assert done.exit_code == 0 and "3 rows" in done.output
    assert audit.verify_chain().ok and audit.verify_chain().checked == 4
    (row,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.reseal"))
    assert (row.object_type, row.object_id, json.loads(row.after)) == (
        "audit_event", "3", {"rows": 3})
    assert runner.invoke(args=["audit-verify"]).exit_code == 0
    with pytest.raises(DBAPIError):  # append-only again
        db.session.execute(text("DELETE FROM audit_event WHERE id = 1"))
    db.session.rollback()


def test_a_broken_unkeyed_chain_is_not_resealed(app, runner, clock):
    _events(3)
    _rewrite(lambda row: row.unkeyed_hash())
    from app.audit import _set_append_only

    _set_append_only(False)
    db.session.execute(text("UPDATE audit_event SET after = '{\"x\": 1}' WHERE id = 2"))
    _set_append_only(True)
    db.session.commit()
    result = runner.invoke(args=["audit-reseal"])
    assert result.exit_code == 1
    assert "broken at row 2 (hash); nothing was resealed" in result.output
    assert db.session.get(AuditEvent, 1).hash == db.session.get(AuditEvent, 1).unkeyed_hash()


def test_the_key_lives_in_the_instance_folder_readable_by_its_owner_only(tmp_path, monkeypatch):
    """"Each link is an HMAC with a key kept outside the database, in the instance folder like
    the secret key.\""""
    from app import create_app

    monkeypatch.setenv("CALLFLOOR_INSTANCE", str(tmp_path))
    monkeypatch.setattr("app.config.Config.AUDIT_KEY", "")
    config = {"SECRET_KEY": "9f8e7d6c5b4a39281706f5e4d3c2b1a0" * 2, "TESTING": False,
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    first = create_app(config).config["AUDIT_KEY"]
    key_file = tmp_path / "audit_key"
    assert key_file.read_text().strip() == first and len(first) == 64
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert create_app(config).config["AUDIT_KEY"] == first  # the same key on every start
