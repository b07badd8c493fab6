"""Schedules: the services without HTTP, then my shifts, the week view, one shift, a weekly
pattern and deleting, as each role sees them."""

import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event, func, select

from app.audit import AuditEvent
from app.extensions import db
from app.people.models import Role, Status, Team, User
from app.staff import schedule
from app.staff.models import LeaveRequest, LeaveStatus, Shift
from app.timeutil import center_tz
from app.workflow import Refusal
from tests.conftest import HX_BOOSTED, post_form

TODAY = date(2026, 11, 20)  # the clock fixture: Friday 20 Nov 2026, 10:00 in Shanghai
MONDAY = date(2026, 11, 16)
NEXT_MONDAY = date(2026, 11, 23)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), center_tz()).astimezone(UTC)


def shift_count(**where) -> int:
    stmt = select(func.count(Shift.id))
    for key, value in where.items():
        stmt = stmt.where(getattr(Shift, key) == value)
    return db.session.scalar(stmt)


@pytest.fixture
def center(app, make_user, make_team, clock):
    """Two teams with a lead and two agents each, and a supervisor."""
    lead = make_user(role=Role.LEAD, name="刘组长")
    team = make_team("一组", lead=lead)
    other_lead = make_user(role=Role.LEAD)
    other = make_team("二组", lead=other_lead)
    return {
        "lead": lead, "team": team, "other_lead": other_lead, "other": other,
        "agent": make_user(team=team, name="张伟"), "agent2": make_user(team=team, name="李娜"),
        "stranger": make_user(team=other, name="赵磊"), "boss": make_user(role=Role.SUPERVISOR),
        "clock": clock,
    }


@pytest.fixture
def as_lead(client, center):
    """The client signed in as the lead of 一组, reading English."""
    from tests.conftest import login

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login(client, center["lead"].username).status_code == 303
    return center


@pytest.fixture
def as_boss(client, center):
    """The client signed in as the supervisor, reading English."""
    from tests.conftest import login

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login(client, center["boss"].username).status_code == 303
    return center


def approve_leave(user: User, shift: Shift) -> LeaveRequest:
    """Mark a shift as taken by an approved leave (the leave flow is tested elsewhere)."""
    leave = LeaveRequest(user_id=user.id, kind="annual", starts_at=shift.starts_at,
                         ends_at=shift.ends_at, hours=shift.hours, status=LeaveStatus.APPROVED)
    db.session.add(leave)
    db.session.flush()
    shift.leave_id = leave.id
    db.session.commit()
    return leave


# --- services -------------------------------------------------------------------------------

def test_a_night_shift_belongs_to_its_start_day_and_counts_into_the_next_morning(center):
    agent = center["agent"]
    sunday = MONDAY + timedelta(days=6)
    night = schedule.add_shift(agent, sunday, time(22), time(6), "夜班", None)
    db.session.commit()
    assert night.day == sunday and night.hours == 8
    this_week = schedule.week_view(center["team"], MONDAY)
    assert [s.id for s in this_week.cells[(agent.id, sunday)]] == [night.id]
    assert this_week.head_count[sunday][22] == this_week.head_count[sunday][23] == 1
    # The hours after midnight are on the floor on Monday, in the next week's head count,
    # while the shift itself stays in the week it starts.
    next_week = schedule.week_view(center["team"], NEXT_MONDAY)
    assert next_week.head_count[NEXT_MONDAY][:7] == [1, 1, 1, 1, 1, 1, 0]
    assert not any(next_week.cells.values())


def test_head_count_skips_shifts_on_leave_and_counts_each_hour_touched(center):
    agent, agent2 = center["agent"], center["agent2"]
    schedule.add_shift(agent, TODAY, time(9, 30), time(11), "", None)
    on_leave = schedule.add_shift(agent2, TODAY, time(9), time(12), "", None)
    db.session.commit()
    approve_leave(agent2, on_leave)
    head = schedule.week_view(center["team"], MONDAY).head_count[TODAY]
    assert head[8:12] == [0, 1, 1, 0]


def test_a_shift_is_at_most_16_hours_and_start_differs_from_end(center):
    agent = center["agent"]
    with pytest.raises(Refusal) as long:
        schedule.add_shift(agent, TODAY, time(6), time(23), "", None)
    assert long.value.field == "end"
    with pytest.raises(Refusal) as same:
        schedule.add_shift(agent, TODAY, time(9), time(9), "", None)
    assert same.value.field == "end"
    assert schedule.add_shift(agent, TODAY, time(6), time(22), "", None).hours == 16


def test_overlap_with_an_existing_shift_is_refused(center):
    agent = center["agent"]
    schedule.add_shift(agent, TODAY, time(22), time(6), "夜班", None)
    with pytest.raises(Refusal, match=agent.name) as refused:
        schedule.add_shift(agent, TODAY + timedelta(days=1), time(5), time(13), "", None)
    assert refused.value.field == "start"
    # Touching is not overlapping; whether a shift may start the moment the night ends is the
    # minimum-rest rule's question (test_schedule_boundaries.py, a strict xfail for now).
    next_morning = schedule.span(TODAY + timedelta(days=1), time(6), time(14))
    assert schedule.overlapping(agent.id, *next_morning) == []


def test_a_pattern_checks_times_like_a_single_shift(center):
    members = [center["agent"], center["agent2"]]
    with pytest.raises(Refusal) as refused:
        schedule.plan_pattern(members, MONDAY, MONDAY + timedelta(days=6), {0}, time(8), time(8))
    assert refused.value.field == "end"


def test_a_pattern_is_all_or_nothing(center):
    agent, agent2 = center["agent"], center["agent2"]
    schedule.add_shift(agent2, NEXT_MONDAY + timedelta(days=2), time(10), time(12), "", None)
    db.session.commit()
    before = shift_count()
    with pytest.raises(Refusal) as refused:
        schedule.apply_pattern(center["team"], [agent, agent2], NEXT_MONDAY,
                               NEXT_MONDAY + timedelta(days=13), {0, 2, 4}, time(9), time(18),
                               "早班", center["boss"])
    assert refused.value.field == "first_day"
    assert "李娜" in refused.value.message and "2026-11-25" in refused.value.message
    db.session.rollback()
    assert shift_count() == before
    created = schedule.apply_pattern(center["team"], [agent, agent2], NEXT_MONDAY,
                                     NEXT_MONDAY + timedelta(days=13), {0, 4}, time(9),
                                     time(18), "早班", center["boss"])
    db.session.commit()
    assert created == 8
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == (
        "shift.pattern")


def test_a_pattern_that_covers_no_day_is_refused(center):
    with pytest.raises(Refusal) as refused:  # a Monday-to-Tuesday range, Saturdays only
        schedule.apply_pattern(center["team"], [center["agent"]], NEXT_MONDAY,
                               NEXT_MONDAY + timedelta(days=1), {5}, time(9), time(18), "",
                               center["boss"])
    assert refused.value.field == "weekdays"


def test_my_shifts_stops_at_until(center):
    agent = center["agent"]
    for offset in range(5):
        schedule.add_shift(agent, TODAY + timedelta(days=offset), time(9), time(18), "", None)
    db.session.commit()
    found = schedule.shift_rows(agent, TODAY + timedelta(days=1), limit=60,
                                until=TODAY + timedelta(days=3))
    assert [s.day for s in found] == [TODAY + timedelta(days=n) for n in (1, 2, 3)]


# --- my shifts ------------------------------------------------------------------------------

def test_my_shifts_lists_my_upcoming_shifts_as_cards(client, login_as, make_user, clock):
    agent = login_as("agent")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    colleague = make_user(team=db.session.get(Team, agent.team_id))
    day = schedule.add_shift(agent, TODAY, time(9), time(18), "Early", None)
    schedule.add_shift(agent, TODAY + timedelta(days=1), time(22), time(6), "Night", None)
    taken = schedule.add_shift(agent, TODAY + timedelta(days=3), time(13), time(21, 30), "", None)
    schedule.add_shift(colleague, TODAY, time(9), time(18), "NotMine", None)
    schedule.add_shift(agent, TODAY - timedelta(days=3), time(9), time(18), "Past", None)
    db.session.commit()
    approve_leave(agent, taken)
    page = client.get("/shifts/mine")
    assert page.status_code == 200
    text = page.text
    assert "<table" not in text and text.count('class="shift-card') == 3
    assert "Fri, Nov 20" in text and "Sat, Nov 21" in text and "Mon, Nov 23" in text
    assert "09:00–18:00" in text and "Early" in text and "9 h" in text
    assert "22:00–06:00" in text and "(next day)" in text
    assert "<del>13:00–21:30</del>" in text and "On leave" in text and "8.5 h" in text
    assert "NotMine" not in text and "Past" not in text
    assert "2 shifts · 17 h" in text  # the shift on leave is not counted
    assert day.label in text


def test_my_shifts_pages_by_two_weeks_and_jumps_to_the_next_shift(client, login_as, clock):
    agent = login_as("agent")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    far = TODAY + timedelta(days=40)
    schedule.add_shift(agent, far, time(9), time(18), "Far", None)
    schedule.add_shift(agent, TODAY - timedelta(days=30), time(9), time(18), "Old", None)
    db.session.commit()
    empty = client.get("/shifts/mine").text
    assert "No shifts between" in empty
    assert f"/shifts/mine?from={far.isoformat()}" in empty  # later: straight to the next shift
    assert "Go to your next shift" in empty
    earlier = (TODAY - timedelta(days=30) - timedelta(days=13)).isoformat()
    assert f"/shifts/mine?from={earlier}" in empty
    later = client.get(f"/shifts/mine?from={far.isoformat()}").text
    assert "Far" in later and 'rel="next"' not in later
    assert "Old" in client.get(f"/shifts/mine?from={earlier}").text
    # A malformed date falls back to today instead of failing.
    assert client.get("/shifts/mine?from=yesterday").status_code == 200


def test_my_shifts_empty_state_says_what_to_do(client, login_as, clock):
    login_as("agent")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    text = client.get("/shifts/mine").text
    assert "ask your team lead" in text
    assert 'rel="prev"' not in text and 'rel="next"' not in text


@pytest.mark.parametrize(("headers", "full"), [
    ({}, True), (HX_BOOSTED, True), ({"HX-Request": "true", "HX-Target": "results"}, False),
], ids=["page", "boosted", "targeted"])
def test_my_shifts_page_or_fragment(client, login_as, clock, headers, full):
    agent = login_as("agent")
    schedule.add_shift(agent, TODAY, time(9), time(18), "早班", None)
    db.session.commit()
    response = client.get("/shifts/mine", headers=headers)
    assert response.status_code == 200
    assert ("<html" in response.text) is full
    assert "早班" in response.text


# --- the week view --------------------------------------------------------------------------

def test_the_lead_sees_their_team_week_with_gaps_and_night_shifts(client, as_lead):
    agent, agent2, stranger = as_lead["agent"], as_lead["agent2"], as_lead["stranger"]
    schedule.add_shift(agent, TODAY, time(9), time(18), "早班", None)
    schedule.add_shift(agent2, TODAY, time(22), time(6), "夜班", None)
    gap = schedule.add_shift(agent2, TODAY - timedelta(days=1), time(9), time(18), "", None)
    schedule.add_shift(stranger, TODAY, time(9), time(18), "别组", None)
    db.session.commit()
    approve_leave(agent2, gap)
    page = client.get("/shifts/week")
    assert page.status_code == 200
    text = page.text
    assert "张伟" in text and "李娜" in text and "刘组长" in text and "赵磊" not in text
    assert "别组" not in text
    assert 'class="week-chip week-gap"' in text and "<del>09:00–18:00</del>" in text
    assert "on leave" in text
    assert "22:00–06:00<sup" in text
    assert 'class="heat-5">1<' in text and 'class="heat-0"><' in text
    assert 'style="' not in text  # the CSP forbids inline styles
    nav = f"/shifts/week?week={(MONDAY - timedelta(days=7)).isoformat()}&amp;team="
    assert nav in text and 'hx-push-url="true"' in text and 'rel="next"' in text
    for label in ("Add a shift", "Weekly pattern", "Import roster"):
        assert f">{label}<" in text
    assert '<select id="week-team"' not in text  # a lead has one team, no choice


def test_a_lead_cannot_open_another_teams_week(client, as_lead):
    other = as_lead["other"]
    assert client.get(f"/shifts/week?team={other.id}").status_code == 404
    assert client.get("/shifts/week?team=999999").status_code == 404
    assert client.get(f"/shifts/week?team={as_lead['team'].id}").status_code == 200


def test_the_supervisor_picks_any_team(client, as_boss):
    schedule.add_shift(as_boss["stranger"], TODAY, time(9), time(18), "别组", None)
    db.session.commit()
    first = client.get("/shifts/week").text
    assert '<select id="week-team"' in first and "一组" in first and "二组" in first
    other = client.get(f"/shifts/week?team={as_boss['other'].id}&week=2026-11-18").text
    assert "赵磊" in other and "别组" in other
    assert "Mon, Nov 16 – Sun, Nov 22" in other  # any day of the week opens its Monday


@pytest.mark.parametrize("role", ["agent", "qa"])
def test_agents_may_not_open_schedule_management(client, login_as, role):
    login_as(role)
    for url in ("/shifts/week", "/shifts/new", "/shifts/pattern", "/shifts/import"):
        assert client.get(url).status_code == 403, url
    assert client.get("/shifts/mine").status_code == 200


def test_week_fragment_for_htmx_and_page_otherwise(client, as_lead):
    fragment = client.get(f"/shifts/week?week={NEXT_MONDAY.isoformat()}",
                          headers={"HX-Request": "true", "HX-Target": "week"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "Mon, Nov 23 – Sun, Nov 29" in fragment.text
    boosted = client.get("/shifts/week", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text


def test_edit_mode_shows_delete_and_add_buttons_only_when_asked(client, as_lead):
    shift = schedule.add_shift(as_lead["agent"], TODAY, time(9), time(18), "", None)
    db.session.commit()
    plain = client.get("/shifts/week").text
    assert f"/shifts/{shift.id}/delete" not in plain and 'class="week-add"' not in plain
    editing = client.get("/shifts/week?edit=1").text
    assert f'action="/shifts/{shift.id}/delete"' in editing and "hx-confirm=" in editing
    assert 'class="week-add"' in editing


@contextmanager
def counted_queries():
    """Every SQL statement the engine runs inside the block."""
    statements: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def add_agents_with_shifts(team: Team, count: int) -> None:
    """`count` agents, each with five shifts this week and one of them on leave."""
    people = [User(username=f"bulk{team.id}-{n}", employee_no=f"B{team.id}-{n:04d}",
                   name=f"座席{n}", role=Role.AGENT, team_id=team.id, grade="junior",
                   hire_date=date(2025, 1, 1), status=Status.ACTIVE, password_hash="-",
                   must_change_password=False) for n in range(count)]
    db.session.add_all(people)
    db.session.flush()
    shifts = []
    for person in people:
        for offset in range(5):
            starts, ends = schedule.span(MONDAY + timedelta(days=offset), time(9), time(18))
            shifts.append(Shift(user_id=person.id, day=MONDAY + timedelta(days=offset),
                                starts_at=starts, ends_at=ends, label="早班"))
    db.session.add_all(shifts)
    db.session.flush()
    leave = LeaveRequest(user_id=people[0].id, kind="annual", starts_at=shifts[0].starts_at,
                         ends_at=shifts[0].ends_at, hours=9, status=LeaveStatus.APPROVED)
    db.session.add(leave)
    db.session.flush()
    shifts[0].leave_id = leave.id
    db.session.commit()


def test_the_week_view_runs_the_same_queries_for_5_and_500_agents(client, as_boss, make_team):
    small, large = make_team("小组"), make_team("大组")
    add_agents_with_shifts(small, 5)
    add_agents_with_shifts(large, 500)
    counts = {}
    for team in (small, large):
        client.get(f"/shifts/week?team={team.id}")  # warm up: first-request work is not counted
        with counted_queries() as statements:
            response = client.get(f"/shifts/week?team={team.id}")
        assert response.status_code == 200
        assert response.text.count('class="week-chip') == (5 if team is small else 500) * 5
        counts[team.name] = len(statements)
    assert counts["小组"] == counts["大组"] <= 8, counts


# --- one shift ------------------------------------------------------------------------------

def test_a_lead_may_choose_only_own_team_members(client, as_lead):
    form = client.get("/shifts/new").text
    assert "张伟" in form and "李娜" in form and "赵磊" not in form
    assert 'type="date"' in form and form.count('type="time"') == 2
    assert '<datalist id="shift-labels">' in form and 'list="shift-labels"' in form
    stranger = as_lead["stranger"]
    assert client.get(f"/shifts/new?person={stranger.id}").status_code == 404
    refused = post_form(client, "/shifts/new", {
        "user_id": stranger.id, "day": "2026-11-23", "start": "09:00", "end": "18:00",
    }, token_page="/shifts/new")
    assert refused.status_code == 422
    assert 'id="user_id-error"' in refused.text
    assert shift_count() == 0


def test_adding_a_shift_saves_it_and_goes_to_the_week(client, as_lead):
    agent = as_lead["agent"]
    prefilled = client.get(f"/shifts/new?person={agent.id}&day=2026-11-24").text
    assert f'<option selected value="{agent.id}">' in prefilled
    assert 'value="2026-11-24"' in prefilled
    response = post_form(client, "/shifts/new", {
        "user_id": agent.id, "day": "2026-11-24", "start": "22:00", "end": "06:00",
        "label": "夜班"}, token_page="/shifts/new")
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"/shifts/week?week=2026-11-23&team={as_lead['team'].id}")
    shift = db.session.scalar(select(Shift))
    assert (shift.user_id, shift.day, shift.label) == (agent.id, date(2026, 11, 24), "夜班")
    assert shift.starts_at == local(date(2026, 11, 24), 22)
    assert shift.ends_at == local(date(2026, 11, 25), 6)
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == (
        "shift.create")
    assert "Shift added" in client.get(response.headers["Location"]).text


def test_overlap_and_bad_input_answer_422_beside_the_field(client, as_lead):
    agent = as_lead["agent"]
    schedule.add_shift(agent, date(2026, 11, 24), time(9), time(18), "", None)
    db.session.commit()
    overlap = post_form(client, "/shifts/new", {
        "user_id": agent.id, "day": "2026-11-24", "start": "17:00", "end": "23:00",
    }, token_page="/shifts/new", headers={"HX-Request": "true", "HX-Target": "shift-form"})
    assert overlap.status_code == 422
    assert "<html" not in overlap.text  # the form fragment, swapped in place
    assert re.search(r'id="start-error" class="error">[^<]*already has a shift', overlap.text)
    bad = post_form(client, "/shifts/new", {
        "user_id": agent.id, "day": "", "start": "25:00", "end": "09:00"},
        token_page="/shifts/new")
    assert bad.status_code == 422
    assert re.search(r'id="day-error" class="error">Enter the day', bad.text)
    assert 'id="start-error"' in bad.text
    too_long = post_form(client, "/shifts/new", {
        "user_id": agent.id, "day": "2026-11-26", "start": "06:00", "end": "23:00"},
        token_page="/shifts/new")
    assert too_long.status_code == 422
    assert re.search(r'id="end-error" class="error">A shift lasts at most 16 hours', too_long.text)
    assert shift_count() == 1


def test_the_supervisor_may_schedule_anyone_current(client, as_boss, make_user):
    gone = make_user(team=as_boss["other"], name="离职者", status=Status.LEFT)
    form = client.get("/shifts/new").text
    assert "赵磊" in form and "张伟" in form and "离职者" not in form
    assert client.get(f"/shifts/new?person={gone.id}").status_code == 404
    response = post_form(client, "/shifts/new", {
        "user_id": as_boss["stranger"].id, "day": "2026-11-24", "start": "09:00",
        "end": "18:00"}, token_page="/shifts/new")
    assert response.status_code == 303
    assert shift_count(user_id=as_boss["stranger"].id) == 1


# --- a weekly pattern -----------------------------------------------------------------------

def pattern(client, **values):
    data = {"team_id": "", "first_day": "2026-11-23", "last_day": "2026-12-06",
            "weekdays": ["0", "1", "2", "3", "4"], "start": "09:00", "end": "18:00",
            "label": "早班", "action": "create", **values}
    return post_form(client, "/shifts/pattern", data, token_page="/shifts/pattern")


def test_the_pattern_form_lists_weekdays_and_only_the_leads_team(client, as_lead):
    form = client.get("/shifts/pattern").text
    assert form.count('type="checkbox" name="weekdays"') == 7
    where = [form.index(f"> {name}</label>") for name in ("Mon", "Tue", "Wed", "Thu", "Fri",
                                                           "Sat", "Sun")]
    assert where == sorted(where)  # Monday first, whatever the locale's own order
    assert "一组" in form and "二组" not in form
    refused = pattern(client, team_id=as_lead["other"].id)
    assert refused.status_code == 422 and 'id="team_id-error"' in refused.text
    assert shift_count() == 0


def test_check_shows_the_count_and_creates_nothing(client, as_lead):
    response = pattern(client, team_id=as_lead["team"].id, action="check")
    assert response.status_code == 200
    assert "20 shifts will be created" in response.text  # 2 agents x 10 weekdays
    assert "For 2 people" in response.text
    assert shift_count() == 0


def test_create_makes_every_shift_for_the_active_agents(client, as_lead, make_user):
    make_user(team=as_lead["team"], name="待岗", status=Status.RETRAINING)
    response = pattern(client, team_id=as_lead["team"].id, include_lead="y")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/shifts/week?week=2026-11-23&team={as_lead['team'].id}"
    assert shift_count() == 30  # two agents and the lead, ten weekdays
    assert shift_count(user_id=as_lead["lead"].id) == 10
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "shift.pattern")) == 1


def test_pattern_conflicts_are_listed_beside_the_first_day_and_nothing_is_saved(client,
                                                                                as_lead):
    schedule.add_shift(as_lead["agent2"], date(2026, 11, 25), time(8), time(10), "", None)
    db.session.commit()
    response = pattern(client, team_id=as_lead["team"].id)
    assert response.status_code == 422
    assert re.search(r'id="first_day-error" class="error">1 shifts clash', response.text)
    assert "<strong>李娜</strong>: Wed, 11/25" in response.text
    assert shift_count() == 1


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"weekdays": []}, "weekdays", "Choose at least one weekday"),
    ({"last_day": "2026-11-01"}, "last_day", "The last day comes before the first"),
    ({"last_day": "2027-06-01"}, "last_day", "A pattern covers at most 92 days"),
    ({"end": "09:00"}, "end", "The end must differ from the start"),
    ({"first_day": ""}, "first_day", "Enter the first day"),
    ({"last_day": "2026-11-24", "weekdays": ["6"]}, "weekdays", "None of the chosen weekdays"),
])
def test_pattern_input_errors(client, as_lead, values, field, message):
    response = pattern(client, team_id=as_lead["team"].id, **values)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error" class="error">[^<]*{message}', response.text), field
    assert shift_count() == 0


# --- delete ---------------------------------------------------------------------------------

def test_a_lead_deletes_a_shift_of_their_team(client, as_lead):
    shift = schedule.add_shift(as_lead["agent"], TODAY, time(9), time(18), "", None)
    db.session.commit()
    page = "/shifts/week?edit=1"
    response = post_form(client, f"/shifts/{shift.id}/delete", token_page=page)
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"/shifts/week?week={MONDAY.isoformat()}&edit=1&team={as_lead['team'].id}")
    assert shift_count() == 0
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == (
        "shift.delete")
    htmx = post_form(client, "/shifts/999999/delete", token_page=page)
    assert htmx.status_code == 404


def test_a_shift_outside_the_leads_team_is_not_found(client, as_lead):
    shift = schedule.add_shift(as_lead["stranger"], TODAY, time(9), time(18), "", None)
    db.session.commit()
    response = post_form(client, f"/shifts/{shift.id}/delete", token_page="/shifts/week")
    assert response.status_code == 404
    assert shift_count() == 1


def test_a_shift_on_leave_is_not_deleted(client, as_lead):
    shift = schedule.add_shift(as_lead["agent"], TODAY, time(9), time(18), "", None)
    db.session.commit()
    approve_leave(as_lead["agent"], shift)
    response = post_form(client, f"/shifts/{shift.id}/delete", token_page="/shifts/week")
    assert response.status_code == 303
    assert "covered by an approved leave" in client.get(response.headers["Location"]).text
    assert shift_count() == 1


def test_delete_from_htmx_answers_hx_location(client, as_boss):
    shift = schedule.add_shift(as_boss["stranger"], TODAY, time(9), time(18), "", None)
    db.session.commit()
    token_page = f"/shifts/week?team={as_boss['other'].id}&edit=1"
    response = post_form(client, f"/shifts/{shift.id}/delete", token_page=token_page,
                         headers={"HX-Request": "true", "HX-Target": "week"})
    assert response.status_code == 204
    assert "/shifts/week" in response.headers["HX-Location"]
    assert shift_count() == 0


def test_agents_may_not_delete_shifts(client, login_as, clock):
    agent = login_as("agent")
    shift = schedule.add_shift(agent, TODAY, time(9), time(18), "", None)
    db.session.commit()
    response = post_form(client, f"/shifts/{shift.id}/delete", token_page="/shifts/mine")
    assert response.status_code == 403
    assert shift_count() == 1


def test_shift_times_are_the_local_times_stored_in_utc(center):
    shift = schedule.add_shift(center["agent"], TODAY, time(9), time(18), "", None)
    assert shift.starts_at == datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("url", [
    "/shifts/mine?from=9999-12-31", "/shifts/mine?from=0001-01-01", "/shifts/mine?from=2026-02-30",
    "/shifts/week?week=9999-12-31", "/shifts/week?week=0001-01-01&team=abc",
    "/shifts/week?team=99999999999999999999999", "/shifts/week?edit=yes",
    "/shifts/new?person=99999999999999999999999&day=9999-12-31",
    "/shifts/pattern?team=-1", "/shifts/import/1?show=<script>",
])
def test_odd_query_strings_never_fail(client, as_boss, url):
    response = client.get(url)
    assert response.status_code in (200, 404), url
    assert "<script>" not in response.text


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31"])
def test_a_day_outside_the_sensible_years_is_refused_beside_the_field(client, as_lead, day):
    response = post_form(client, "/shifts/new", {
        "user_id": as_lead["agent"].id, "day": day, "start": "22:00", "end": "06:00"},
        token_page="/shifts/new")
    assert response.status_code == 422
    assert re.search(r'id="day-error" class="error">Choose a day between 2000-01-01', response.text)
    far = pattern(client, team_id=as_lead["team"].id, last_day=day)
    assert far.status_code == 422 and 'id="last_day-error"' in far.text
    assert shift_count() == 0


@pytest.mark.parametrize(("role", "message"), [
    ("lead", "您还没有负责的班组，因此没有可显示的排班。"),
    ("supervisor", "还没有班组。请先创建班组，其排班会显示在这里。"),
])
def test_an_empty_week_view_says_why_for_each_role(client, login_as, role, message):
    """staff.policy.can_schedule_every_team, asked by the page: "Supervisors schedule every
    team; a lead only the team they lead": a lead without a team is told so, a supervisor
    that there are no teams yet."""
    login_as(role, team=None)
    page = client.get("/shifts/week")
    assert page.status_code == 200 and message in page.text

