"""The quality migrations fill what the new rules need from the data already there.

Issue: "The migration fills the frozen list of rules already published from their team's
members on the day of publication, as the audit trail records them." And each sampled call
keeps at most one in-sample evaluation: an older second one becomes off sample, with a reason.
"""

import json
from datetime import UTC, date, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from app import ROOT, create_app
from app.extensions import db
from tests.conftest import test_config

MIGRATIONS = str(ROOT / "migrations")
PUBLISHED = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
BEFORE, AFTER = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
def old_app(tmp_path):
    """An app on a database migrated only up to the inbox (before the quality changes)."""
    application = create_app(test_config(tmp_path))
    with application.app_context():
        upgrade(directory=MIGRATIONS, revision="43c6e31cc84d")
        yield application
        db.session.remove()
        db.engine.dispose()


def add(table: str, **values) -> None:
    names = ", ".join(f'"{k}"' for k in values)
    marks = ", ".join(f":{k}" for k in values)
    statement = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608 (test data)
    db.session.execute(text(statement), values)


def person(pid: int, role: str, team: int | None, status: str = "active") -> None:
    add("user", id=pid, username=f"u{pid}", employee_no=f"E{pid}", name=f"人{pid}", phone="",
        role=role, team_id=team, hire_date=date(2025, 1, 1), status=status, password_hash="x",
        must_change_password=False, session_epoch=1, created_at=BEFORE, version=1)


_events = iter(range(1, 1000))


def event(at: datetime, action: str, pid: int, before: dict) -> None:
    n = next(_events)
    add("audit_event", id=n, at=at, actor_id=None, actor_role="", action=action,
        object_type="user", object_id=str(pid), before=json.dumps(before), after="{}",
        address="", prev_hash=f"{n - 1:064d}", hash=f"{n:064d}")


def covered(rule_id: int) -> set[int]:
    return set(db.session.scalars(text(
        "SELECT user_id FROM sampling_rule_covered WHERE rule_id = :r"), {"r": rule_id}))


def test_published_rules_cover_their_people_as_they_were_on_publication(old_app):
    add("team", id=1, name="一组", created_at=BEFORE, version=1)
    add("team", id=2, name="二组", created_at=BEFORE, version=1)
    person(10, "agent", 1)  # in the team throughout: covered
    person(11, "agent", 2)  # moved out of the team after publication: covered
    event(AFTER, "person.update", 11, {"team_id": 1, "role": "agent"})
    person(12, "agent", 1)  # moved into the team after publication: not covered
    event(AFTER, "person.update", 12, {"team_id": 2})
    person(13, "agent", 1)  # added after publication: not covered
    event(AFTER, "person.create", 13, {})
    person(14, "agent", 1, status="left")  # left after publication: covered
    event(AFTER, "person.deactivate", 14, {"status": "active"})
    person(15, "agent", 1, status="left")  # had left before: not covered
    event(BEFORE, "person.deactivate", 15, {"status": "active"})
    person(16, "lead", 1)  # leads take calls too
    person(17, "qa", 1)  # reviewers do not
    for rid, scope, team in ((100, "team", 1), (101, "all", None), (102, "people", None),
                             (103, "team", 1)):
        add("sampling_rule", id=rid, name=f"r{rid}", scope=scope, team_id=team,
            weekdays=127, first_day=date(2026, 11, 12), longer_than_s=0, direction="any",
            nth_from=1, nth_to=1, status="draft" if rid == 103 else "published",
            created_at=BEFORE, published_at=None if rid == 103 else PUBLISHED, version=1)
    add("sampling_rule_person", rule_id=102, user_id=12)
    add("sampling_rule_person", rule_id=102, user_id=13)
    db.session.commit()

    upgrade(directory=MIGRATIONS, revision="8e4b1f2c7a90")

    assert covered(100) == {10, 11, 14, 16}
    assert covered(101) == {10, 11, 12, 14}  # every agent then, leads not
    assert covered(102) == {12}  # named, and on the staff then (13 came later)
    assert covered(103) == set()  # a draft is not frozen


def test_a_second_in_sample_evaluation_becomes_off_sample(old_app):
    person(10, "agent", None)
    person(20, "qa", None)
    person(21, "qa", None)
    add("call", id=1, serial_no="S1", agent_id=10, started_at=BEFORE, duration_s=60,
        direction="in", customer_number="", recording_url="", source="file", imported_at=BEFORE)
    add("sampling_rule", id=100, name="r", scope="all", weekdays=127,
        first_day=date(2026, 11, 1), longer_than_s=0, direction="any", nth_from=1, nth_to=1,
        status="published", created_at=BEFORE, published_at=BEFORE, version=1)
    add("sample_draw", id=1, rule_id=100, day=date(2026, 11, 1), drawn_at=BEFORE)
    add("sampled_call", id=1, draw_id=1, call_id=1, agent_id=10, position=1, reviewer_id=20)
    add("scorecard", id=1, name="表", created_at=BEFORE)
    add("scorecard_version", id=1, scorecard_id=1, number=1, created_at=BEFORE, version=1)
    for eid, reviewer in ((1, 20), (2, 21)):
        add("evaluation", id=eid, call_id=1, agent_id=10, reviewer_id=reviewer,
            scorecard_version_id=1, sampled_call_id=1, off_sample_reason="", status="draft",
            score=100, created_at=BEFORE, version=1)
    db.session.commit()

    upgrade(directory=MIGRATIONS, revision="b7d2e95c4f13")

    rows = db.session.execute(text(
        "SELECT id, sampled_call_id, off_sample_reason FROM evaluation ORDER BY id")).all()
    assert rows[0] == (1, 1, "")
    assert rows[1] == (2, None, "同一抽中通话的第二份评分（升级时改为标准外）")
