"""QA reports at their edges: which evaluations a day, a week (Monday to Sunday) and a month
count, to the second in the center's time; every number of the report worked out by hand;
the empty report; the reviewers' consistency; the export.

DESIGN.md: "Reports: daily, weekly and monthly QA reports per agent, team and reviewer,
including consistency: the same deduction item must cost the same points whoever scored it."
app/qa/reports.py: reports run "over the published evaluations that count (calibration scores
never do), by the day they were published in the center's time zone".
"""

import io
import time
from datetime import UTC, date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.people.models import Role
from app.qa import calibration, evaluations, reports, scorecards
from app.qa.models import Call, Evaluation, SampledCall, SampleDraw, SamplingRule
from tests.conftest import login, post_form

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 18)  # a Wednesday; its week runs Monday 16 to Sunday 22 November
ONE = timedelta(days=1)
LABELS = ["0–59", "60–69", "70–79", "80–89", "90–99", "100"]
OFF_SAMPLE = "标准外"  # the interface's word for "off sample"

_serials = count(1)


def center(day: date, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    """A moment of the center's day, in UTC (Shanghai is UTC+8)."""
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=SHANGHAI).astimezone(UTC)


def last_second(day: date) -> datetime:
    return center(day, 23, 59, 59)


def empty_trend(first: date, last: date) -> list:
    days = []
    while first <= last:
        days.append((first, None, 0))
        first += ONE
    return days


class World:
    """A supervisor's scorecards and a helper that publishes a reviewer's evaluation of a new
    call at a given moment."""

    def __init__(self, boss):
        self.boss = boss
        self.items = {}

    def card(self, name: str, items: list[tuple[str, int]]) -> None:
        card = scorecards.create(name, self.boss)
        category = scorecards.add_category(card, "服务", self.boss)
        for item_name, points in items:
            self.items[item_name] = scorecards.add_item(card, category, item_name, points, "",
                                                        self.boss)
        db.session.commit()

    def score(self, agent, reviewer, when: datetime, *ticked: str, publish: bool = True,
              calibrated: bool = False, sampled: bool = False) -> Evaluation:
        """Off sample unless `sampled` (a published rule's draw took the call)."""
        items = [self.items[name] for name in ticked]
        version = (items[0] if items else self.items["扣10分"]).category.scorecard_version
        call = Call(serial_no=f"RB{next(_serials)}", agent_id=agent.id, started_at=when,
                    duration_s=300, direction="in")
        db.session.add(call)
        db.session.flush()
        if sampled:
            rule = SamplingRule(name="每人第1通", scope="all", first_day=when.date(),
                                status="published")
            draw = SampleDraw(rule=rule, day=when.date(), drawn_at=when)
            draw.picks.append(SampledCall(call_id=call.id, agent_id=agent.id, position=1,
                                          reviewer_id=reviewer.id))
            db.session.add(draw)
            db.session.flush()
        round_id = None
        if calibrated:
            round_id = calibration.create(call, version, self.boss, when).id
        evaluation = evaluations.start(call, reviewer, version, "" if calibrated else "抽查",
                                       when, calibration_id=round_id)
        evaluations.save(evaluation, reviewer, [evaluations.Mark(i.id) for i in items],
                         evaluation.version, publish, when)
        db.session.commit()
        return evaluation


@pytest.fixture
def server_in_new_york(monkeypatch):
    """The server's own time zone is neither UTC nor the center's."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def world(app, make_user):
    """One scorecard whose single items take a score to each edge of the distribution."""
    found = World(make_user(role=Role.SUPERVISOR, name="主管"))
    found.card("边界质检表", [(f"扣{p}分", p) for p in (100, 41, 40, 31, 30, 21, 20, 11, 10, 5, 1)])
    return found


@pytest.fixture
def people(make_user):
    agent = make_user(role=Role.AGENT, name="座席甲")
    reviewer = make_user(role=Role.QA, name="质检甲")
    return agent, reviewer


# --- the periods ------------------------------------------------------------------------------


@pytest.mark.parametrize(("period", "day", "first", "last"), [
    ("day", DAY, DAY, DAY),
    # "a week" starts on Monday and ends on Sunday, whichever of its days is asked for
    ("week", date(2026, 11, 16), date(2026, 11, 16), date(2026, 11, 22)),
    ("week", DAY, date(2026, 11, 16), date(2026, 11, 22)),
    ("week", date(2026, 11, 22), date(2026, 11, 16), date(2026, 11, 22)),
    ("week", date(2026, 11, 23), date(2026, 11, 23), date(2026, 11, 29)),
    ("week", date(2026, 12, 31), date(2026, 12, 28), date(2027, 1, 3)),  # across the year
    # "a month" from its first to its last calendar day
    ("month", date(2026, 11, 1), date(2026, 11, 1), date(2026, 11, 30)),
    ("month", date(2026, 11, 30), date(2026, 11, 1), date(2026, 11, 30)),
    ("month", date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31)),
    ("month", date(2026, 2, 14), date(2026, 2, 1), date(2026, 2, 28)),
    ("month", date(2028, 2, 1), date(2028, 2, 1), date(2028, 2, 29)),  # a leap year
])
def test_a_period_runs_from_its_first_to_its_last_day(period, day, first, last):
    """ "daily, weekly and monthly QA reports": the day itself, Monday to Sunday, the 1st to
    the month's last day."""
    assert reports.bounds(period, day) == (first, last)


def test_the_window_is_the_center_days_in_utc(app):
    """Center time is UTC+8: a day runs from 16:00 UTC the evening before to 16:00 UTC."""
    assert reports.window(date(2026, 11, 16), date(2026, 11, 22)) == {
        "start": datetime(2026, 11, 15, 16, tzinfo=UTC),
        "end": datetime(2026, 11, 22, 16, tzinfo=UTC)}


@pytest.mark.parametrize(("period", "first", "last"), [
    ("day", DAY, DAY),
    ("week", date(2026, 11, 16), date(2026, 11, 22)),
    ("month", date(2026, 11, 1), date(2026, 11, 30)),
])
def test_a_period_counts_from_its_first_second_to_its_last(app, world, people, period, first,
                                                           last):
    """A report counts the evaluations published from 00:00:00 of its first day to 23:59:59 of
    its last, in the center's time; one second either side belongs to the periods around it.
    Scores: 90 the second before, 80 at the first second, 70 at the last, 60 the second after;
    so the period holds 2 with average (80 + 70) / 2 = 75."""
    agent, reviewer = people
    world.score(agent, reviewer, last_second(first - ONE), "扣10分")
    world.score(agent, reviewer, center(first), "扣20分")
    world.score(agent, reviewer, last_second(last), "扣30分")
    world.score(agent, reviewer, center(last + ONE), "扣40分")

    for day in sorted({first, DAY, last}):
        report = reports.build(period, day, "agent")
        assert (report.period, report.first, report.last, report.group) == (
            period, first, last, "agent")
        assert (report.count, report.average) == (2, 75.0)
        assert [(r.key, r.name, r.count, r.average, r.lowest, r.highest)
                for r in report.rows] == [(agent.id, "座席甲", 2, 75.0, 70, 80)]

    before = reports.build(period, first - ONE, "agent")
    assert (before.last, before.count, before.average) == (first - ONE, 1, 90.0)
    after = reports.build(period, last + ONE, "agent")
    assert (after.first, after.count, after.average) == (last + ONE, 1, 60.0)


def test_the_trend_of_a_week_and_of_a_month_has_one_entry_per_day(app, world, people):
    """The daily average over the period; the 23:59:59 and the 00:00:00 evaluations fall on
    their own center days, not on the UTC day (16:00 UTC is midnight in the center)."""
    agent, reviewer = people
    world.score(agent, reviewer, last_second(date(2026, 11, 15)), "扣10分")  # Sunday before
    world.score(agent, reviewer, center(date(2026, 11, 16)), "扣20分")  # Monday 00:00:00
    world.score(agent, reviewer, last_second(date(2026, 11, 22)), "扣30分")  # Sunday 23:59:59
    world.score(agent, reviewer, center(date(2026, 11, 23)), "扣40分")  # Monday after

    week = reports.build("week", DAY, "agent").trend
    assert week == [(date(2026, 11, 16), 80.0, 1), *empty_trend(date(2026, 11, 17),
                                                                date(2026, 11, 21)),
                    (date(2026, 11, 22), 70.0, 1)]

    month = reports.build("month", DAY, "agent").trend
    expected = empty_trend(date(2026, 11, 1), date(2026, 11, 30))
    expected[14] = (date(2026, 11, 15), 90.0, 1)
    expected[15] = (date(2026, 11, 16), 80.0, 1)
    expected[21] = (date(2026, 11, 22), 70.0, 1)
    expected[22] = (date(2026, 11, 23), 60.0, 1)
    assert month == expected


def test_the_trend_follows_the_center_not_the_servers_time_zone(app, world, people,
                                                                 server_in_new_york):
    """DESIGN.md: "Times are stored in UTC and shown in the center's time zone": on a server
    whose own zone is New York, Monday 00:00:00 and Sunday 23:59:59 of the center are still
    the first and the last day of the week."""
    agent, reviewer = people
    world.score(agent, reviewer, center(date(2026, 11, 16)), "扣20分")
    world.score(agent, reviewer, last_second(date(2026, 11, 22)), "扣30分")
    week = reports.build("week", DAY, "agent")
    assert (week.count, week.average) == (2, 75.0)
    assert week.trend == [(date(2026, 11, 16), 80.0, 1), *empty_trend(date(2026, 11, 17),
                                                                      date(2026, 11, 21)),
                          (date(2026, 11, 22), 70.0, 1)]


def test_a_days_trend_shows_the_two_weeks_up_to_it(app, world, people):
    """ "a day's report shows the two weeks up to it": 14 days, D-13 to D. Two evaluations of
    D at 00:00:00 and 23:59:59 (two different UTC hours) make one day: (80 + 70) / 2 = 75.
    D-13 at 00:00:00 is in (99), D-14 at 23:59:59 (95) and D+1 at 00:00:00 (60) are not."""
    agent, reviewer = people
    world.score(agent, reviewer, last_second(DAY - 14 * ONE), "扣5分")
    world.score(agent, reviewer, center(DAY - 13 * ONE), "扣1分")
    world.score(agent, reviewer, last_second(DAY - ONE), "扣10分")
    world.score(agent, reviewer, center(DAY), "扣20分")
    world.score(agent, reviewer, last_second(DAY), "扣30分")
    world.score(agent, reviewer, center(DAY + ONE), "扣40分")

    report = reports.build("day", DAY, "agent")

    assert (report.count, report.average) == (2, 75.0)  # the day's numbers stay the day's
    assert report.trend == [(DAY - 13 * ONE, 99.0, 1),
                            *empty_trend(DAY - 12 * ONE, DAY - 2 * ONE),
                            (DAY - ONE, 90.0, 1), (DAY, 75.0, 2)]


@pytest.mark.parametrize(("period", "first", "last", "days"), [
    ("day", DAY - 13 * ONE, DAY, 14),
    ("week", date(2026, 11, 16), date(2026, 11, 22), 7),
    ("month", date(2026, 11, 1), date(2026, 11, 30), 30),
])
def test_the_empty_report(app, world, period, first, last, days):
    """No published evaluation in the period: nothing counted, no average, every bucket and
    every day at zero."""
    report = reports.build(period, DAY, "team")
    assert report.count == 0
    assert report.average is None
    assert report.rows == []
    assert report.items == []
    assert report.buckets == [(label, 0) for label in LABELS]
    assert report.trend == empty_trend(first, last)
    assert len(report.trend) == days


# --- what counts --------------------------------------------------------------------------------


def test_only_published_evaluations_outside_calibration_count(app, world, people, make_user):
    """ "over the published evaluations that count (calibration scores never do)": a draft, a
    calibration score and a draft carrying a publication time (as one sent back for re-review
    would) are left out of every part of the report and of the consistency."""
    agent, reviewer = people
    other = make_user(role=Role.QA, name="质检乙")
    world.score(agent, reviewer, center(DAY, 10), "扣20分")
    world.score(agent, other, center(DAY, 11), "扣100分", calibrated=True)
    world.score(agent, other, center(DAY, 12), "扣100分", publish=False)
    stamped = world.score(agent, other, center(DAY, 13), "扣100分", publish=False)
    stamped.published_at = center(DAY, 13)
    db.session.commit()

    for group, name in (("agent", "座席甲"), ("reviewer", "质检甲")):
        report = reports.build("day", DAY, group)
        assert (report.count, report.average) == (1, 80.0)
        assert [(r.name, r.count, r.average, r.lowest, r.highest) for r in report.rows] == [
            (name, 1, 80.0, 80, 80)]
        assert report.buckets == list(zip(LABELS, [0, 0, 0, 1, 0, 0], strict=True))
        assert report.items == [("扣20分", 1, 20, False)]
        assert report.trend[-1] == (DAY, 80.0, 1)
    found = reports.consistency("day", DAY)
    assert found.reviewers == [(reviewer.id, "质检甲", 1, 80.0)]
    assert [(i.name, i.rates) for i in found.items] == [("扣20分", {reviewer.id: 1.0})]


def test_the_distribution_buckets_at_their_edges(app, world, people):
    """Each bucket from its lowest to its highest score: 0 and 59, 60 and 69, 70 and 79,
    80 and 89, 90 and 99 fall in; 100 is a bucket of its own.
    Average = (0+59+60+69+70+79+80+89+90+99+100) / 11 = 795 / 11."""
    agent, reviewer = people
    for points in (100, 41, 40, 31, 30, 21, 20, 11, 10, 1):
        world.score(agent, reviewer, center(DAY, 12), f"扣{points}分")
    world.score(agent, reviewer, center(DAY, 12))

    report = reports.build("day", DAY, "agent")

    assert report.buckets == list(zip(LABELS, [2, 2, 2, 2, 2, 1], strict=True))
    assert report.count == 11
    assert report.average == pytest.approx(795 / 11, abs=1e-9)
    assert [(r.count, r.lowest, r.highest) for r in report.rows] == [(11, 0, 100)]


@pytest.fixture
def floor(app, world, make_user, make_team):
    """Two teams (made "B组" first), four agents, two reviewers (made "R1" first), and their
    evaluations of DAY:
      Cao (B组) by R1: 70, 90 · Ai (A组) by R2: 80 · Bai (A组) by R1: 100 · Du (no team) by R2: 60
    """
    b_team, a_team = make_team("B组"), make_team("A组")
    cao = make_user(role=Role.AGENT, team=b_team, name="Cao")
    ai = make_user(role=Role.AGENT, team=a_team, name="Ai")
    bai = make_user(role=Role.AGENT, team=a_team, name="Bai")
    du = make_user(role=Role.AGENT, name="Du")
    r1, r2 = make_user(role=Role.QA, name="R1"), make_user(role=Role.QA, name="R2")
    world.score(cao, r1, center(DAY, 9), "扣30分")
    world.score(cao, r1, center(DAY, 10), "扣10分")
    world.score(ai, r2, center(DAY, 11), "扣20分")
    world.score(bai, r1, center(DAY, 12))
    world.score(du, r2, center(DAY, 13), "扣40分")
    return {"teams": (a_team, b_team), "agents": (ai, bai, cao, du), "reviewers": (r1, r2)}


def test_rows_per_agent_lowest_average_first_then_by_name(app, floor):
    """Per agent: Du 60; Ai 80 and Cao (70 + 90) / 2 = 80 tie, so by name; Bai 100."""
    ai, bai, cao, du = floor["agents"]
    report = reports.build("day", DAY, "agent")
    assert [(r.key, r.name, r.count, r.average, r.lowest, r.highest) for r in report.rows] == [
        (du.id, "Du", 1, 60.0, 60, 60), (ai.id, "Ai", 1, 80.0, 80, 80),
        (cao.id, "Cao", 2, 80.0, 70, 90), (bai.id, "Bai", 1, 100.0, 100, 100)]
    assert (report.count, report.average) == (5, 80.0)  # (70 + 90 + 80 + 100 + 60) / 5


def test_rows_per_reviewer_are_who_scored(app, floor):
    """Per reviewer: R2 scored 80 and 60 (average 70), R1 70, 90 and 100 (average 260 / 3)."""
    r1, r2 = floor["reviewers"]
    report = reports.build("day", DAY, "reviewer")
    assert [(r.key, r.name, r.count, r.lowest, r.highest) for r in report.rows] == [
        (r2.id, "R2", 2, 60, 80), (r1.id, "R1", 3, 70, 100)]
    assert [r.average for r in report.rows] == pytest.approx([70.0, 260 / 3])


def test_rows_per_team_by_name_and_an_agent_without_a_team(app, floor):
    """Per team: A组 (Ai 80, Bai 100) average 90; B组 (Cao 70, 90) average 80; Du has no team
    and shows as "—". Teams are listed by name."""
    a_team, b_team = floor["teams"]
    report = reports.build("day", DAY, "team")
    rows = [(r.key, r.name, r.count, r.average, r.lowest, r.highest) for r in report.rows]
    assert [row for row in rows if row[0] is not None] == [
        (a_team.id, "A组", 2, 90.0, 80, 100), (b_team.id, "B组", 2, 80.0, 70, 90)]
    assert [row for row in rows if row[0] is None] == [(None, "—", 1, 60.0, 60, 60)]


def test_a_leads_report_is_limited_to_the_agents_given(app, floor):
    """A lead sees the own team's agents only: every part of the report is limited (A组:
    Ai 80 with 20 deducted, Bai 100)."""
    ai, bai, _cao, _du = floor["agents"]
    mine = Evaluation.agent_id.in_([ai.id, bai.id])
    report = reports.build("day", DAY, "agent", mine)
    assert (report.count, report.average) == (2, 90.0)
    assert [(r.name, r.count, r.average) for r in report.rows] == [("Ai", 1, 80.0),
                                                                   ("Bai", 1, 100.0)]
    assert report.buckets == list(zip(LABELS, [0, 0, 0, 1, 0, 1], strict=True))
    assert report.items == [("扣20分", 1, 20, False)]
    assert report.trend[-1] == (DAY, 90.0, 2)
    teams = reports.build("day", DAY, "team", Evaluation.agent_id.in_([ai.id, bai.id]))
    assert [(r.name, r.count) for r in teams.rows] == [("A组", 2)]
    center_wide = reports.build("day", DAY, "agent")  # the center-wide queries
    assert center_wide.count == 5


def test_most_deducted_items_the_ten_most_often_with_their_points(app, world, people):
    """ "most deducted items": by times deducted, most first, then by name; ten at most; the
    points are what the deductions cost (the same item costs the same points whoever scored
    it: k03 three times at 3 points is 9).
    e1 ticks all eleven items k01..k11 (worth 1..11), e2 ticks k05 and k03, e3 ticks k03."""
    agent, reviewer = people
    world.card("十一项质检表", [(f"k{n:02d}", n) for n in (7, 3, 11, 1, 9, 5, 2, 10, 4, 8, 6)])
    world.score(agent, reviewer, center(DAY, 9), *(f"k{n:02d}" for n in range(1, 12)))
    world.score(agent, reviewer, center(DAY, 10), "k05", "k03")
    world.score(agent, reviewer, center(DAY, 11), "k03")

    report = reports.build("day", DAY, "agent")

    assert [(name, times, points) for name, times, points, _critical in report.items] == [
        ("k03", 3, 9), ("k05", 2, 10), ("k01", 1, 1), ("k02", 1, 2), ("k04", 1, 4),
        ("k06", 1, 6), ("k07", 1, 7), ("k08", 1, 8), ("k09", 1, 9), ("k10", 1, 10)]
    assert not any(critical for *_rest, critical in report.items)


def test_the_same_item_costs_the_same_points_whoever_deducted_it(app, world, people,
                                                                   make_user):
    """ "the same deduction item must cost the same points whoever scored it": two reviewers
    deduct 扣10分 once each, and the report shows it twice for 2 × 10 points."""
    agent, reviewer = people
    other = make_user(role=Role.QA, name="质检乙")
    world.score(agent, reviewer, center(DAY, 9), "扣10分")
    world.score(agent, other, center(DAY, 10), "扣10分")
    assert reports.build("day", DAY, "reviewer").items == [("扣10分", 2, 20, False)]


def test_namesakes_are_reported_apart(app, world, make_user):
    """Two agents called 王芳 and two reviewers called 李娜 are four people: each has a row of
    their own (王芳 who scored 70 before 王芳 who scored 90; 李娜 who gave 70 is the strictest)."""
    first_agent, second_agent = (make_user(role=Role.AGENT, name="王芳") for _ in range(2))
    first_qa, second_qa = (make_user(role=Role.QA, name="李娜") for _ in range(2))
    world.score(first_agent, first_qa, center(DAY, 9), "扣10分")
    world.score(second_agent, second_qa, center(DAY, 10), "扣30分")

    agents = reports.build("day", DAY, "agent").rows
    assert [(r.key, r.name, r.count, r.average) for r in agents] == [
        (second_agent.id, "王芳", 1, 70.0), (first_agent.id, "王芳", 1, 90.0)]
    reviewers = reports.build("day", DAY, "reviewer").rows
    assert [(r.key, r.name, r.count, r.average) for r in reviewers] == [
        (second_qa.id, "李娜", 1, 70.0), (first_qa.id, "李娜", 1, 90.0)]
    found = reports.consistency("day", DAY)
    assert sorted(found.reviewers) == [(first_qa.id, "李娜", 1, 90.0),
                                       (second_qa.id, "李娜", 1, 70.0)]
    assert (found.strictest, found.most_lenient) == (second_qa.id, first_qa.id)


def test_a_day_of_zeros_has_an_average_of_zero(app, world, people):
    """A score of 0 (here 100 points deducted; DESIGN.md: "A critical item (致命项) sets the
    score to 0") is a score: a day whose only score is 0 averages 0, it is not a day without
    evaluations."""
    agent, reviewer = people
    world.score(agent, reviewer, center(DAY, 9), "扣100分")
    report = reports.build("day", DAY, "agent")
    assert (report.count, report.average) == (1, 0.0)
    assert report.trend[-1] == (DAY, 0.0, 1)
    assert report.buckets[0] == ("0–59", 1)


# --- consistency --------------------------------------------------------------------------------


def test_consistency_of_an_empty_period(app, world, people):
    """No evaluations in the week: no reviewers, no center average, nobody strictest or most
    lenient (the Sunday before and the Monday after are other weeks of the same month)."""
    agent, reviewer = people
    world.score(agent, reviewer, last_second(date(2026, 11, 15)), "扣20分")
    world.score(agent, reviewer, center(date(2026, 11, 23)), "扣20分")
    found = reports.consistency("week", DAY)
    assert (found.reviewers, found.center_average, found.strictest, found.most_lenient,
            found.items) == ([], None, None, None, [])


def test_a_single_reviewer_is_neither_strictest_nor_most_lenient(app, world, people,
                                                                  make_user):
    """Strictest and most lenient compare reviewers: one alone is neither; the others' share
    of an item is 0 when there are no others.
    Scores 85 (10 + 5 deducted) and 100: average 92.5, 扣10分 in 1 of 2 evaluations. Another
    reviewer scored the day before and the day after (same week, same month): not this day."""
    agent, reviewer = people
    other = make_user(role=Role.QA, name="质检乙")
    world.score(agent, other, last_second(DAY - ONE), "扣20分")
    world.score(agent, reviewer, center(DAY, 9), "扣10分", "扣5分")
    world.score(agent, reviewer, center(DAY, 10))
    world.score(agent, other, center(DAY + ONE), "扣20分")
    found = reports.consistency("day", DAY)
    assert found.reviewers == [(reviewer.id, "质检甲", 2, 92.5)]
    assert found.center_average == 92.5
    assert (found.strictest, found.most_lenient) == (None, None)
    assert [(i.name, i.rates, i.others) for i in found.items] == [
        ("扣10分", {reviewer.id: 0.5}, {reviewer.id: 0.0}),
        ("扣5分", {reviewer.id: 0.5}, {reviewer.id: 0.0})]


def test_two_reviewers_are_the_strictest_and_the_most_lenient(app, world, people, make_user):
    """Two reviewers are enough to compare, by average score (not by how many they scored):
    80 and 80 against 95; the center's average is (80 + 80 + 95) / 3 = 85."""
    agent, reviewer = people
    other = make_user(role=Role.QA, name="质检乙")
    world.score(agent, reviewer, center(DAY, 9), "扣20分")
    world.score(agent, reviewer, center(DAY, 10), "扣20分")
    world.score(agent, other, center(DAY, 11), "扣5分")
    found = reports.consistency("day", DAY)
    assert (found.strictest, found.most_lenient) == (reviewer.id, other.id)
    assert found.center_average == 85.0


def test_consistency_per_reviewer_and_per_item_by_hand(app, world, make_user):
    """Reviewers (made Bo, Al, Cy; listed by name) over the month, X worth 10 and Y worth 5:
      Al: X (90)                                  1 evaluation,  average 90
      Bo: X+Y (85), X (90), nothing (100)         3 evaluations, average 275/3
      Cy: Y (95), nothing (100)                   2 evaluations, average 97.5
    Center average, weighted by evaluations: (90 + 275 + 195) / 6 = 560/6 (not the mean of the
    three averages). Strictest Al, most lenient Cy.
    X, deducted 3 times: rates Al 1/1, Bo 2/3, Cy 0/2; others Al (3-1)/(6-1) = 2/5,
      Bo (3-2)/(6-3) = 1/3, Cy 3/(6-2) = 3/4.
    Y, deducted 2 times: rates Al 0, Bo 1/3, Cy 1/2; others Al 2/5, Bo 1/3, Cy 1/4.
    Outside the month (31 October 23:59:59 and 1 December 00:00:00) Al deducts both items and
    does not count."""
    world.card("一致性质检表", [("Y", 5), ("X", 10)])
    agent = make_user(role=Role.AGENT, name="座席")
    bo, al, cy = (make_user(role=Role.QA, name=name) for name in ("Bo", "Al", "Cy"))
    world.score(agent, al, center(date(2026, 11, 1)), "X")
    world.score(agent, bo, center(DAY, 9), "X", "Y")
    world.score(agent, bo, center(DAY, 10), "X")
    world.score(agent, bo, center(DAY, 11))
    world.score(agent, cy, center(DAY, 12), "Y")
    world.score(agent, cy, last_second(date(2026, 11, 30)))
    world.score(agent, al, last_second(date(2026, 10, 31)), "X", "Y")
    world.score(agent, al, center(date(2026, 12, 1)), "X", "Y")

    found = reports.consistency("month", DAY)

    assert [(rid, name, n) for rid, name, n, _avg in found.reviewers] == [
        (al.id, "Al", 1), (bo.id, "Bo", 3), (cy.id, "Cy", 2)]
    assert [avg for *_rest, avg in found.reviewers] == pytest.approx([90.0, 275 / 3, 97.5])
    assert found.center_average == pytest.approx(560 / 6, abs=1e-9)
    assert (found.strictest, found.most_lenient) == (al.id, cy.id)
    assert [i.name for i in found.items] == ["X", "Y"]
    x, y = found.items
    assert x.rates == pytest.approx({al.id: 1.0, bo.id: 2 / 3, cy.id: 0.0})
    assert x.others == pytest.approx({al.id: 2 / 5, bo.id: 1 / 3, cy.id: 3 / 4})
    assert y.rates == pytest.approx({al.id: 0.0, bo.id: 1 / 3, cy.id: 1 / 2})
    assert y.others == pytest.approx({al.id: 2 / 5, bo.id: 1 / 3, cy.id: 1 / 4})


# --- the export ---------------------------------------------------------------------------------

WORDS = {key: f"<{key}>" for key in ("scores", "period", "by", "name", "count", "average",
                                     "lowest", "highest", "item", "times", "points", "day",
                                     "off_sample", "left_out", "critical", "critical_item",
                                     "yes")}


def test_the_workbook_holds_the_rows_the_items_and_the_trend(app, floor):
    """The export: the rows (averages to one decimal), the items, the days of the trend."""
    r1, r2 = floor["reviewers"]
    report = reports.build("week", DAY, "reviewer")
    book = load_workbook(io.BytesIO(reports.to_xlsx(report, WORDS)))
    assert book.sheetnames == ["<scores>", "<item>", "<day>"]
    assert [list(r) for r in book["<scores>"].iter_rows(values_only=True)] == [
        ["<period>", "2026-11-16 – 2026-11-22", None, None, None, None, None, None],
        ["<off_sample>", 5, None, None, None, None, None, None],  # no rule sampled them
        ["<critical>", 0, None, None, None, None, None, None],
        ["<by>", "<name>", "<count>", "<average>", "<lowest>", "<highest>", "<off_sample>",
         "<critical>"],
        ["<by>", "R2", 2, 70, 60, 80, 2, 0],
        ["<by>", "R1", 3, 86.7, 70, 100, 3, 0]]  # 260 / 3 = 86.67
    assert [list(r) for r in book["<item>"].iter_rows(values_only=True)] == [
        ["<item>", "<times>", "<points>", "<critical_item>"], ["扣10分", 1, 10, None],
        ["扣20分", 1, 20, None], ["扣30分", 1, 30, None], ["扣40分", 1, 40, None]]
    days = [list(r) for r in book["<day>"].iter_rows(values_only=True)]
    assert days[0] == ["<day>", "<average>", "<count>"]
    assert days[1:] == [["2026-11-16", None, 0], ["2026-11-17", None, 0],
                        ["2026-11-18", 80, 5], ["2026-11-19", None, 0],
                        ["2026-11-20", None, 0], ["2026-11-21", None, 0],
                        ["2026-11-22", None, 0]]


def test_the_trend_in_the_workbook_is_rounded_to_one_decimal(app, world, people):
    """Scores 90, 85 and 100 on one day: 275 / 3 = 91.67, exported as 91.7."""
    agent, reviewer = people
    world.score(agent, reviewer, center(DAY, 9), "扣10分")
    world.score(agent, reviewer, center(DAY, 10), "扣10分", "扣5分")
    world.score(agent, reviewer, center(DAY, 11))
    report = reports.build("day", DAY, "agent")
    book = load_workbook(io.BytesIO(reports.to_xlsx(report, WORDS)))
    assert list(book["<day>"].iter_rows(values_only=True))[-1] == ("2026-11-18", 91.7, 3)
    assert list(book["<scores>"].iter_rows(values_only=True))[-1] == (
        "<by>", "座席甲", 3, 91.7, 85, 100, 3, 0)


@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("+86 138", "'+86 138"), ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("a=b", "a=b"), ("", ""), (" =1", " =1"), (42, 42), (None, None),
])
def test_cells_that_start_like_a_formula_are_neutralized(value, written):
    """SECURITY.md: "Spreadsheet exports neutralize cells that start with `= + - @`."."""
    assert reports.safe_cell(value) == written


def test_item_names_are_neutralized_in_the_workbook(app, world, people):
    """Item names come from people too: a formula-like one is written as text."""
    agent, reviewer = people
    world.card("公式质检表", [("=1+1", 5), ("@x", 3)])
    world.score(agent, reviewer, center(DAY, 9), "=1+1", "@x")
    book = load_workbook(io.BytesIO(reports.to_xlsx(reports.build("day", DAY, "agent"), WORDS)))
    assert [list(r) for r in book["<item>"].iter_rows(min_row=2, values_only=True)] == [
        ["'=1+1", 1, 5, None], ["'@x", 1, 3, None]]


# --- off-sample evaluations in reports ----------------------------------------------------------

OFF_SAMPLE_RULE = ("DESIGN.md: An evaluation of a call outside the sample is allowed only with "
                   "a written reason and is marked as such everywhere it appears, reports and "
                   "exports included.")


def test_the_report_page_marks_off_sample_evaluations(app, world, people, make_user):
    """OFF_SAMPLE_RULE: the report counts an off-sample evaluation and says so, with a count
    and a column; a report can leave them out."""
    agent, reviewer = people
    world.score(agent, reviewer, center(DAY, 9), "扣10分")  # no rule sampled it: off sample
    boss = make_user(role=Role.SUPERVISOR)
    client = app.test_client()
    assert login(client, boss.username).status_code == 303
    page = client.get(f"/qa/reports?period=day&day={DAY}&by=agent").text
    assert "座席甲" in page
    assert OFF_SAMPLE in page


def test_the_export_marks_off_sample_evaluations(app, world, people, make_user):
    """OFF_SAMPLE_RULE: the .xlsx export has the count and a column."""
    agent, reviewer = people
    world.score(agent, reviewer, center(DAY, 9), "扣10分")  # no rule sampled it: off sample
    boss = make_user(role=Role.SUPERVISOR)
    client = app.test_client()
    assert login(client, boss.username).status_code == 303
    response = post_form(client, f"/qa/reports.xlsx?period=day&day={DAY}&by=agent", {},
                         token_page="/qa/reports")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    cells = [str(value) for sheet in book for row in sheet.iter_rows(values_only=True)
             for value in row if value is not None]
    assert "座席甲" in cells
    assert any(OFF_SAMPLE in cell for cell in cells)


def test_a_report_counts_off_sample_evaluations_apart_and_can_leave_them_out(app, world,
                                                                             people):
    """OFF_SAMPLE_RULE: counted with a count of their own, per row too; a report (and the
    consistency page) can leave them out, which changes the figures."""
    agent, reviewer = people
    world.score(agent, reviewer, center(DAY, 9), "扣10分", sampled=True)  # 90, in sample
    world.score(agent, reviewer, center(DAY, 10), "扣40分")  # 60, off sample
    counted = reports.build("day", DAY, "agent")
    assert (counted.count, counted.off_sample, counted.average) == (2, 1, 75.0)
    assert [(r.count, r.off_sample) for r in counted.rows] == [(2, 1)]
    left_out = reports.build("day", DAY, "agent", off_sample=False)
    assert (left_out.count, left_out.off_sample, left_out.average) == (1, 0, 90.0)
    assert [(r.count, r.off_sample, r.lowest) for r in left_out.rows] == [(1, 0, 90)]
    team_only = reports.build("day", DAY, "agent", agents=Evaluation.agent_id == agent.id,
                              off_sample=False)  # a lead's report: their agents only
    assert (team_only.count, team_only.off_sample, team_only.average) == (1, 0, 90.0)
    assert reports.consistency("day", DAY).off_sample == {reviewer.id: 1}
    assert reports.consistency("day", DAY, off_sample=False).reviewers == [
        (reviewer.id, "质检甲", 1, 90.0)]


def test_the_report_page_can_leave_off_sample_evaluations_out(app, world, people, make_user):
    agent, reviewer = people
    world.score(agent, reviewer, center(DAY, 9), "扣10分", sampled=True)
    world.score(agent, reviewer, center(DAY, 10), "扣40分")
    boss = make_user(role=Role.SUPERVISOR)
    client = app.test_client()
    assert login(client, boss.username).status_code == 303
    page = client.get(f"/qa/reports?period=day&day={DAY}&by=agent&off_sample=0").text
    assert "不计入" in page and "90.0" in page and "75.0" not in page
    assert "75.0" in client.get(f"/qa/reports?period=day&day={DAY}&by=agent").text
    consistency = client.get(f"/qa/consistency?period=day&day={DAY}&off_sample=0").text
    assert "90.0" in consistency and "75.0" not in consistency


def test_a_report_that_leaves_off_sample_out_says_so_and_marks_critical_items(app, world,
                                                                              people):
    """OFF_SAMPLE_RULE, and issue: "reports count critical errors separately": the export of
    a report without the off-sample evaluations says they were left out (not a count of 0),
    and a critical item is marked in the items sheet; the consistency page knows which it
    shows."""
    agent, reviewer = people
    world.card("致命质检表", [("泄露客户信息", 20), ("语气生硬", 5)])
    world.items["泄露客户信息"].critical = True
    db.session.commit()
    world.score(agent, reviewer, center(DAY, 9), "语气生硬", "泄露客户信息", sampled=True)
    world.score(agent, reviewer, center(DAY, 10), "扣40分")  # off sample
    book = load_workbook(io.BytesIO(reports.to_xlsx(
        reports.build("day", DAY, "agent", off_sample=False), WORDS)))
    rows = [list(r)[:2] for r in book["<scores>"].iter_rows(values_only=True)]
    assert rows[1] == ["<off_sample>", "<left_out>"]
    assert [list(r) for r in book["<item>"].iter_rows(min_row=2, values_only=True)] == [
        ["泄露客户信息", 1, 20, "<yes>"], ["语气生硬", 1, 5, None]]
    included = load_workbook(io.BytesIO(reports.to_xlsx(reports.build("day", DAY, "agent"),
                                                        WORDS)))
    assert list(included["<scores>"].iter_rows(values_only=True))[1][:2] == ("<off_sample>", 1)
    assert reports.consistency("day", DAY).off_sample_included is True
    assert reports.consistency("day", DAY, off_sample=False).off_sample_included is False
