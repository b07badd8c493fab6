"""Who is told what (issue 11, point 5): "when a person's leave or swap is decided, an away
request answered, or an evaluation of theirs published, they are told with a link." Each
outcome through its service; the words in both languages; nobody is told of a step that
decides nothing yet."""

import json
from datetime import date, datetime, time, timedelta
from itertools import count

import pytest
from sqlalchemy import select

from app.extensions import db
from app.i18n import force_locale
from app.inbox import services as inbox
from app.inbox.models import Notification
from app.people.models import Role
from app.qa import calibration, evaluations, scorecards
from app.qa.models import Call
from app.staff import away, leave, schedule, swaps
from app.timeutil import center_tz

DAY = date(2026, 11, 20)  # the clock fixture stands at 10:00 on this day in Shanghai
_serials = count(1)


def told(person=None) -> list[tuple[int, str, dict, str, dict]]:
    """Every notification stored (or one person's): recipient, kind, parameters, link."""
    stmt = select(Notification).order_by(Notification.id)
    if person is not None:
        stmt = stmt.where(Notification.recipient_id == person.id)
    return [(n.recipient_id, n.kind, json.loads(n.params), n.link_endpoint,
             json.loads(n.link_args)) for n in db.session.scalars(stmt)]


def words(app, person, locale: str) -> list[tuple[str, str | None]]:
    """A person's notifications as they read them in `locale`: the words and the link."""
    with app.test_request_context(), force_locale(locale):
        return [(item.text, item.url) for item in inbox.shown(db.session.scalars(
            select(Notification).where(Notification.recipient_id == person.id)
            .order_by(Notification.id)))]


# --- leave -----------------------------------------------------------------------------------


@pytest.fixture
def floor(app, make_user, make_team, clock):
    """An agent of a lead's team with a day shift on each of the next days; a supervisor."""
    lead = make_user(role=Role.LEAD, name="甲组长")
    team = make_team(lead=lead)
    agent = make_user(team=team, name="请假人")
    for offset in range(1, 6):
        schedule.add_shift(agent, DAY + timedelta(days=offset), time(9), time(18), "早班", None)
    db.session.commit()
    return {"lead": lead, "agent": agent, "boss": make_user(role=Role.SUPERVISOR),
            "clock": clock}


def asked_leave(floor, day: date = date(2026, 11, 23)):
    tz = center_tz()
    starts = datetime.combine(day, time(0), tz)
    item = leave.ask(floor["agent"], "annual", starts, starts + timedelta(days=1), "回老家",
                     floor["clock"].now)
    db.session.commit()
    return item


def decide_leave(floor, item, who: str, approve: bool) -> None:
    leave.decide(item, floor[who], approve, "" if approve else "人手不够", item.version,
                 floor["clock"].now)
    db.session.commit()


def test_approved_leave_is_told_at_the_final_step_only(app, floor):
    """"when a person's leave ... is decided": the lead's approval decides nothing yet; the
    supervisor's does, and the agent is told with a link to the request."""
    item = asked_leave(floor)
    decide_leave(floor, item, "lead", True)
    assert told() == []
    decide_leave(floor, item, "boss", True)
    assert told() == [(floor["agent"].id, "leave.approved",
                       {"kind": "annual", "starts": "2026-11-22T16:00:00+00:00",
                        "ends": "2026-11-23T16:00:00+00:00"},
                       "staff.show_leave", {"leave_id": item.id})]
    assert words(app, floor["agent"], "zh") == [
        ("您的请假已批准：年假，2026年11月23日（全天）。", f"/leave/{item.id}")]
    assert words(app, floor["agent"], "en") == [
        ("Your leave was approved: Annual leave, Nov 23, 2026 (whole day).",
         f"/leave/{item.id}")]


@pytest.mark.parametrize("step", ["lead", "boss"])
def test_a_rejection_is_told_at_whichever_step_it_comes(app, floor, step):
    """"a rejection at the lead step is final too"."""
    item = asked_leave(floor)
    if step == "boss":
        decide_leave(floor, item, "lead", True)
    decide_leave(floor, item, step, False)
    assert [(who, kind) for who, kind, *_rest in told()] == [
        (floor["agent"].id, "leave.rejected")]
    assert words(app, floor["agent"], "zh") == [
        ("您的请假被驳回：年假，2026年11月23日（全天）。", f"/leave/{item.id}")]
    assert words(app, floor["agent"], "en") == [
        ("Your leave was rejected: Annual leave, Nov 23, 2026 (whole day).",
         f"/leave/{item.id}")]


def test_a_withdrawn_request_tells_nobody(app, floor):
    item = asked_leave(floor)
    leave.withdraw(item, floor["agent"], item.version, floor["clock"].now)
    db.session.commit()
    assert told() == []


# --- shift swaps -----------------------------------------------------------------------------


@pytest.fixture
def center(app, make_user, make_team, clock):
    """Agents a1 (team A) and b1 (team B) of the same grade, each with one shift ahead."""
    lead_a, lead_b = make_user(role=Role.LEAD, name="甲组长"), make_user(role=Role.LEAD,
                                                                       name="乙组长")
    team_a, team_b = make_team(lead=lead_a), make_team(lead=lead_b)
    a1, b1 = make_user(team=team_a, name="张一"), make_user(team=team_b, name="李一")
    mine = schedule.add_shift(a1, date(2026, 11, 23), time(9), time(17), "早班", None)
    theirs = schedule.add_shift(b1, date(2026, 11, 24), time(13), time(21), "晚班", None)
    db.session.commit()
    swap = swaps.ask(a1, mine, theirs, "家里有事", clock.now)
    db.session.commit()
    return {"a1": a1, "b1": b1, "lead_a": lead_a, "lead_b": lead_b, "swap": swap,
            "boss": make_user(role=Role.SUPERVISOR), "clock": clock}


def step(center, who: str, approve: bool = True) -> None:
    swap = center["swap"]
    swaps.decide(swap, center[who], approve, "" if approve else "人手不够", swap.version,
                 center["clock"].now)
    db.session.commit()


A1_GIVES = {"day": "2026-11-23", "starts_at": "2026-11-23T01:00:00+00:00",
            "ends_at": "2026-11-23T09:00:00+00:00", "label": "早班"}
B1_GIVES = {"day": "2026-11-24", "starts_at": "2026-11-24T05:00:00+00:00",
            "ends_at": "2026-11-24T13:00:00+00:00", "label": "晚班"}


def test_an_approved_swap_tells_both_parties(app, center):
    """"swap decided (approved ...): tell both parties"; the agreeing and signing steps
    decide nothing yet."""
    for who in ("b1", "lead_a", "lead_b"):
        step(center, who)
    assert told() == []
    step(center, "boss")
    link = ("staff.show_swap", {"swap_id": center["swap"].id})
    assert told() == [
        (center["a1"].id, "swap.approved", {"name": "李一", "given": A1_GIVES,
                                            "taken": B1_GIVES}, *link),
        (center["b1"].id, "swap.approved", {"name": "张一", "given": B1_GIVES,
                                            "taken": A1_GIVES}, *link)]
    url = f"/swaps/{center['swap'].id}"
    assert words(app, center["a1"], "zh") == [(
        "您与李一的换班已批准：您交出 11月23日周一 09:00–17:00 早班，"
        "换得 11月24日周二 13:00–21:00 晚班。", url)]
    assert words(app, center["b1"], "en") == [(
        "Your shift swap with 张一 was approved: you give Tue, Nov 24 13:00–21:00 晚班 and "
        "take Mon, Nov 23 09:00–17:00 早班.", url)]


@pytest.mark.parametrize("rejecter", ["lead_b", "boss"])
def test_a_rejected_swap_tells_both_parties(app, center, rejecter):
    """"swap decided (... or rejected: tell both parties)", by a lead or by the supervisor."""
    step(center, "b1")
    if rejecter == "boss":
        step(center, "lead_a")
        step(center, "lead_b")
    step(center, rejecter, approve=False)
    assert [(who, kind) for who, kind, *_rest in told()] == [
        (center["a1"].id, "swap.rejected"), (center["b1"].id, "swap.rejected")]
    url = f"/swaps/{center['swap'].id}"
    assert words(app, center["a1"], "zh") == [
        ("您与李一的换班被驳回：您仍上 11月23日周一 09:00–17:00 早班。", url)]
    assert words(app, center["b1"], "en") == [
        ("Your shift swap with 张一 was rejected: you keep Tue, Nov 24 13:00–21:00 晚班.", url)]


def test_a_counterpart_s_decline_tells_the_requester(app, center):
    """"a counterpart's decline tells the requester" (and not the one who declined)."""
    step(center, "b1", approve=False)
    assert [(who, kind) for who, kind, *_rest in told()] == [(center["a1"].id, "swap.declined")]
    url = f"/swaps/{center['swap'].id}"
    assert words(app, center["a1"], "zh") == [
        ("李一不同意您的换班：您仍上 11月23日周一 09:00–17:00 早班。", url)]
    assert words(app, center["a1"], "en") == [
        ("李一 declined your shift swap: you keep Mon, Nov 23 09:00–17:00 早班.", url)]


# --- away from seat --------------------------------------------------------------------------


@pytest.mark.parametrize(("allow", "kind", "zh", "en"), [
    (True, "away.allowed", "已批准您离席（申请于 2026/11/20 10:00）。",
     "You may step away (asked 11/20/26, 10:00\u202fAM)."),
    (False, "away.refused", "您的离席申请（申请于 2026/11/20 10:00）未获批准。",
     "Your request to step away (asked 11/20/26, 10:00\u202fAM) was refused."),
], ids=["allowed", "refused"])
def test_an_answered_away_request_tells_the_agent(app, floor, allow, kind, zh, en):
    """"an away request answered": allowed or refused, the agent is told, with the away board
    (where the request shows) as the link."""
    schedule.add_shift(floor["agent"], DAY, time(8), time(18), "白班", None)
    db.session.commit()
    item = away.ask(floor["agent"], floor["clock"].now)
    db.session.commit()
    decided = floor["clock"].now + timedelta(minutes=1)  # the decision's own moment
    away.decide(item, floor["lead"], allow, item.version, decided)
    db.session.commit()
    assert told() == [(floor["agent"].id, kind, {"asked": "2026-11-20T02:00:00+00:00"},
                       "staff.away_board", {})]
    assert db.session.scalar(select(Notification.created_at)) == decided  # told when decided
    assert words(app, floor["agent"], "zh") == [(zh, "/away")]
    assert words(app, floor["agent"], "en") == [(en, "/away")]


# --- evaluations -----------------------------------------------------------------------------


@pytest.fixture
def scoring(app, make_user, clock):
    """A reviewer, an agent's call and a scorecard with one 5-point item."""
    boss, qa = make_user(role=Role.SUPERVISOR), make_user(role=Role.QA)
    agent = make_user(role=Role.AGENT)
    with app.test_request_context():
        card = scorecards.create("通用质检表", boss)
        category = scorecards.add_category(card, "服务态度", boss)
        item = scorecards.add_item(card, category, "语气生硬", 5, "", boss)
        version = scorecards.latest(card)
        db.session.commit()
    call = Call(serial_no=f"REC-{next(_serials):04d}", agent_id=agent.id, started_at=clock.now,
                duration_s=300, direction="in")
    db.session.add(call)
    db.session.commit()
    return {"boss": boss, "qa": qa, "agent": agent, "call": call, "version": version,
            "item": item, "clock": clock}


def score(scoring, publish: bool, calibration_id=None):
    evaluation = evaluations.start(scoring["call"], scoring["qa"], scoring["version"], "抽查",
                                   scoring["clock"].now, calibration_id=calibration_id)
    evaluations.save(evaluation, scoring["qa"], [evaluations.Mark(scoring["item"].id)],
                     evaluation.version, publish, scoring["clock"].now)
    db.session.commit()
    return evaluation


def test_a_published_evaluation_tells_the_agent_scored(app, scoring):
    """"an evaluation of theirs published": the agent is told the call's serial and the
    score, with the evaluation as the link. A saved draft tells nobody."""
    with app.test_request_context():
        evaluation = score(scoring, publish=False)
        assert told() == []
        evaluations.save(evaluation, scoring["qa"], [evaluations.Mark(scoring["item"].id)],
                         evaluation.version, True, scoring["clock"].now)
        db.session.commit()
    serial = scoring["call"].serial_no
    assert told() == [(scoring["agent"].id, "evaluation.published",
                       {"serial": serial, "score": 95}, "qa.show_evaluation",
                       {"evaluation_id": evaluation.id})]
    url = f"/evaluations/{evaluation.id}"
    assert words(app, scoring["agent"], "zh") == [
        (f"您的录音 {serial} 的质检评分已发布：95 分。", url)]
    assert words(app, scoring["agent"], "en") == [
        (f"An evaluation of your call {serial} was published: 95 points.", url)]


def test_a_calibration_score_tells_nobody(app, scoring):
    """Calibration scores are never shown to the agent (qa policy), so nobody is told."""
    with app.test_request_context():
        round_ = calibration.create(scoring["call"], scoring["version"], scoring["boss"],
                                    scoring["clock"].now)
        db.session.commit()
        score(scoring, publish=True, calibration_id=round_.id)
    assert told() == []
