"""The main pages issue a fixed number of SQL statements, whatever the size of the center.

Each page is loaded in a center of 30 people and again after it has grown to 3,000 (with
proportionally more teams, team members and leads); the count must be the same both times
and equal to the pinned number. A page that starts loading rows one by one (N+1), or adds
a query, fails here: fix the page, or, for a deliberate new query, raise the pin.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import bindparam, event, func, insert, select, update

from app.extensions import db
from app.people.models import Grade, Role, Status, Team, User
from app.staff.models import LeaveRequest, LeaveStatus, Shift, ShiftSwap, SwapStatus
from tests.conftest import login

SMALL, LARGE = 30, 3_000
PEOPLE_PER_TEAM = 30
# Transaction control differs by backend (SQLite gets an explicit BEGIN); count only queries.
NOT_QUERIES = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")

# Statements per page. Every signed-in page loads its viewer (1). The home page counts what
# waits for the viewer (leave, swaps, away, handovers: 1), loads the newest unread
# notifications with their count (1) and the next shifts (1); the lists of waiting leave and
# swaps are 1 each when something waits (see the test below).
PINNED = {
    # viewer, count of the page, the page of people with their teams, teams for the filter
    ("supervisor", "/people"): 4,
    ("agent", "/people"): 4,
    # viewer, unread notifications, accounts locked after failed sign-ins, head counts by team,
    # role and status, what waits, next shifts
    ("supervisor", "/"): 8,
    # viewer, unread notifications, the team's members, what waits, sampling rules just
    # published for the team, next shifts, own team (its lead is the viewer, already loaded)
    ("lead", "/"): 7,
    # viewer, head count per team, teams with their leads
    ("supervisor", "/teams"): 3,
}

_batches = count(1)


@contextmanager
def counting() -> Iterator[list[str]]:
    """Collect the SQL statements the engine runs inside the block."""
    statements: list[str] = []

    def before_cursor_execute(_conn, _cursor, statement, _params, _context, _many):
        if not statement.lstrip().upper().startswith(NOT_QUERIES):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before_cursor_execute)


def queries_for(client, path: str) -> list[str]:
    """The statements one GET runs, starting from an empty session as a real request does."""
    db.session.remove()  # the test keeps one app context, so its identity map would carry over
    with counting() as statements:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return statements


def grow(total: int, own_team_id: int | None) -> None:
    """Bulk-add people until the center holds `total`: teams of 30 with a lead each, agents
    of every grade, some QA, some retraining or gone; a tenth join `own_team_id`."""
    have = db.session.scalar(select(func.count(User.id)))
    missing = total - have
    if missing <= 0:
        return
    batch = next(_batches)
    digest = db.session.scalar(select(User.password_hash).limit(1))  # one hash, reused
    team_ids = db.session.scalars(
        insert(Team).returning(Team.id, sort_by_parameter_order=True),
        [{"name": f"批量{batch}-{i}组"} for i in range(max(1, missing // PEOPLE_PER_TEAM))],
    ).all()
    grades = list(Grade)

    def person(i: int, role: str, team_id: int | None, status: str = Status.ACTIVE) -> dict:
        return {
            "username": f"bulk{batch}x{i}", "employee_no": f"B{batch}-{i:05d}",
            "name": f"王{batch}{i}", "phone": "13800000000", "role": role,
            "team_id": team_id, "grade": grades[i % 3] if role == Role.AGENT else None,
            "hire_date": date(2024 + i % 2, 1, 1),
            "probation_until": date(2030, 1, 1) if i % 11 == 0 else None,
            "status": status, "password_hash": digest, "must_change_password": False,
        }

    rows = [person(i, Role.LEAD, team_id) for i, team_id in enumerate(team_ids)]
    for i in range(len(rows), missing):
        if i % 15 == 0:
            rows.append(person(i, Role.QA, None))
            continue
        team_id = own_team_id if own_team_id and i % 10 == 0 else team_ids[i % len(team_ids)]
        status = Status.LEFT if i % 13 == 0 else Status.RETRAINING if i % 17 == 0 else (
            Status.ACTIVE)
        rows.append(person(i, Role.AGENT, team_id, status))
    db.session.execute(insert(User), rows)
    leads = db.session.execute(
        select(User.id, User.team_id).where(User.role == Role.LEAD,
                                            User.username.startswith(f"bulk{batch}x"))
    ).all()
    team = Team.__table__
    db.session.execute(
        update(team).where(team.c.id == bindparam("team")).values(lead_id=bindparam("lead")),
        [{"team": team_id, "lead": lead_id} for lead_id, team_id in leads],
    )
    db.session.commit()
    assert db.session.scalar(select(func.count(User.id))) == total


@pytest.mark.parametrize(("role", "path"), list(PINNED), ids=[f"{r} {p}" for r, p in PINNED])
def test_query_count_does_not_grow_with_the_center(client, login_as, role, path):
    viewer = login_as(role)
    own_team = viewer.team_id if role == Role.LEAD else None
    grow(SMALL, own_team)
    small = queries_for(client, path)
    grow(LARGE, own_team)
    large = queries_for(client, path)
    assert len(small) == len(large), "\n".join(["30 people:", *small, "3,000 people:", *large])
    assert len(small) == PINNED[role, path], "\n".join(small)


def test_a_lead_sees_every_member_of_a_large_team_with_the_same_queries(client, make_user,
                                                                          make_team):
    lead = make_user(role=Role.LEAD)
    team_id = make_team("大组", lead=lead).id
    assert login(client, lead.username).status_code == 303
    grow(SMALL, team_id)
    small = queries_for(client, "/")
    grow(LARGE, team_id)
    large = queries_for(client, "/")
    members = db.session.scalar(
        select(func.count(User.id)).where(User.team_id == team_id, User.status != Status.LEFT)
    )
    assert members > 150  # the home card lists them all, in one query
    assert len(small) == len(large) == PINNED[Role.LEAD, "/"]


def wait_for_lead(lead_id: int, team_id: int, number: int) -> None:
    """`number` agents of the lead's team, each with a leave request and a swap waiting for
    the lead (bulk inserted: only the home page's reading is under test)."""
    batch = next(_batches)
    digest = db.session.scalar(select(User.password_hash).limit(1))
    people = db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"username": f"wait{batch}x{i}", "employee_no": f"W{batch}-{i:05d}",
         "name": f"李{batch}{i}", "phone": "13800000000", "role": Role.AGENT,
         "team_id": team_id, "grade": Grade.JUNIOR, "hire_date": date(2024, 1, 1),
         "status": Status.ACTIVE, "password_hash": digest, "must_change_password": False}
        for i in range(number)]).all()
    start = datetime(2030, 1, 7, 1, tzinfo=UTC)
    db.session.execute(insert(LeaveRequest), [
        {"user_id": person, "kind": "annual", "starts_at": start, "ends_at":
         start + timedelta(hours=8), "hours": 8, "status": LeaveStatus.PENDING_LEAD}
        for person in people])
    shifts = db.session.scalars(insert(Shift).returning(Shift.id, sort_by_parameter_order=True), [
        {"user_id": person, "day": date(2030, 1, 8), "starts_at": start + timedelta(days=1),
         "ends_at": start + timedelta(days=1, hours=8)} for person in people]).all()
    db.session.execute(insert(ShiftSwap), [
        {"requester_id": people[i], "counterpart_id": people[i - 1],
         "requester_shift_id": shifts[i], "counterpart_shift_id": shifts[i - 1],
         "month": date(2030, 1, 1), "status": SwapStatus.PENDING_LEADS,
         "requester_lead_id": lead_id, "counterpart_lead_id": lead_id}
        for i in range(number)])
    db.session.commit()


def test_the_home_page_reads_what_waits_with_the_same_queries_however_much_waits(
        client, make_user, make_team):
    lead = make_user(role=Role.LEAD)
    lead_id, team_id = lead.id, make_team("审批组", lead=lead).id
    assert login(client, lead.username).status_code == 303
    wait_for_lead(lead_id, team_id, 3)
    small = queries_for(client, "/")
    wait_for_lead(lead_id, team_id, 300)
    large = queries_for(client, "/")
    assert len(small) == len(large), "\n".join(["3 waiting:", *small, "303 waiting:", *large])
    # viewer, unread notifications, team members, what waits, the waiting leave, the waiting
    # swaps, rules just published, next shifts, own team
    assert len(small) == 9, "\n".join(small)
    page = client.get("/").text
    assert page.count('class="pending-item"') == 5  # the oldest five leave requests
    assert page.count('class="pending-item swap-item"') == 5
    assert "303" in page  # "see all 303 ..."
