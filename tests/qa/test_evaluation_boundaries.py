"""Evaluations at every boundary: the score from 100, deductions, moments, versions, publishing.

DESIGN.md, Scorecard (质检表): "versioned list of deduction items (扣分项) grouped by category,
each with its points; a score starts at 100. An evaluation always records the scorecard version
it used." Sampling rule: "Each sampled call has at most one in-sample evaluation. An evaluation
of a call outside the sample is allowed only with a written reason and is marked as such
everywhere it appears."
"""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from app.extensions import db
from app.inbox.models import Notification
from app.people.models import Role
from app.qa import evaluations, scorecards
from app.qa.models import (
    Calibration,
    Call,
    Deduction,
    Evaluation,
    RuleStatus,
    SampledCall,
    SampleDraw,
    SamplingRule,
)
from app.workflow import NotYourTurnError, Refusal, StaleError
from tests.conftest import audit_rows as audits
from tests.conftest import row_count as count

NOW = datetime(2026, 12, 3, 2, tzinfo=UTC)  # 10:00 in Shanghai
LATER = NOW + timedelta(hours=3)
DURATION = 300


@pytest.fixture
def ctx(app, clock):
    """A request context in Chinese (the default language), the clock frozen at NOW."""
    clock.set(NOW)
    with app.test_request_context():
        yield clock


@pytest.fixture
def qa(make_user):
    return make_user(role=Role.QA)


@pytest.fixture
def agent(make_user):
    return make_user(role=Role.AGENT)


@pytest.fixture
def card(app, make_user):
    """A scorecard with three items of 5, 40 and 60 points (version 1)."""
    boss = make_user(role=Role.SUPERVISOR)
    made = scorecards.create("通用质检表", boss)
    category = scorecards.add_category(made, "服务态度", boss)
    items = [scorecards.add_item(made, category, name, points, "", boss)
             for name, points in (("语气生硬", 5), ("错误答复", 40), ("泄露信息", 60))]
    db.session.commit()
    return {"card": made, "version": scorecards.latest(made), "items": items, "boss": boss}


def add_call(agent, serial="C-1", duration=DURATION) -> Call:
    db.session.execute(insert(Call), [{
        "serial_no": serial, "agent_id": agent.id, "started_at": NOW - timedelta(hours=1),
        "duration_s": duration, "direction": "in", "customer_number": "", "recording_url": "",
        "source": "api", "imported_at": NOW}])
    db.session.commit()
    return db.session.scalar(select(Call).where(Call.serial_no == serial))


def sample(call: Call, qa) -> SampledCall:
    """A published rule's draw that took this call."""
    rule = SamplingRule(name="r", scope="all", first_day=date(2026, 12, 1),
                        status=RuleStatus.PUBLISHED)
    draw = SampleDraw(rule=rule, day=date(2026, 12, 3), drawn_at=NOW)
    pick = SampledCall(call_id=call.id, agent_id=call.agent_id, position=1, reviewer_id=qa.id)
    draw.picks.append(pick)
    db.session.add(draw)
    db.session.commit()
    return pick


# --- the score ------------------------------------------------------------------------------


@pytest.mark.parametrize(("points", "score"), [
    ([], 100),  # "a score starts at 100"
    ([1], 99), ([5, 40], 55), ([99], 1), ([100], 0), ([60, 40], 0),
    ([60, 41], 0), ([60, 40, 5], 0),  # never below 0
])
def test_a_score_starts_at_100_and_never_goes_below_0(points, score):
    """DESIGN.md: "a score starts at 100"; evaluations module: "each ticked deduction item
    takes its points (never below 0)"."""
    assert evaluations.score_of(points) == score


# --- starting an evaluation -----------------------------------------------------------------


def test_a_sampled_call_is_scored_without_a_reason(ctx, qa, agent, card):
    """DESIGN.md: "An evaluation always records the scorecard version it used"; a sampled
    call needs no reason (and keeps none)."""
    call = add_call(agent)
    pick = sample(call, qa)
    evaluation = evaluations.start(call, qa, card["version"], "  随便写的  ", NOW)
    db.session.commit()
    saved = db.session.get(Evaluation, evaluation.id)
    assert (saved.call_id, saved.agent_id, saved.reviewer_id, saved.scorecard_version_id,
            saved.sampled_call_id, saved.calibration_id, saved.off_sample_reason, saved.status,
            saved.score, saved.created_at, saved.published_at, saved.read_at,
            saved.deductions) == (
        call.id, agent.id, qa.id, card["version"].id, pick.id, None, "", "draft", 100, NOW,
        None, None, [])
    assert saved.off_sample is False
    [row] = audits("evaluation.start")
    assert (row.actor_id, row.actor_role, row.object_type, row.object_id, row.at) == (
        qa.id, "qa", "evaluation", str(evaluation.id), NOW)
    assert row.before_dict() == {}
    assert row.after_dict() == {"status": "draft", "score": 100, "off_sample_reason": "",
        "comment": "",
                                "scorecard_version_id": card["version"].id,
                                "published_at": None, "read_at": None}


def test_the_first_draw_that_took_a_call_is_its_sample(ctx, qa, agent, card):
    """DESIGN.md: "Each sampled call has at most one in-sample evaluation": when two rules took
    the same call, the evaluation belongs to the first entry."""
    call = add_call(agent)
    first = sample(call, qa)
    sample(call, qa)
    assert evaluations.sample_pick(call).id == first.id
    assert evaluations.sample_pick(add_call(agent, "C-2")) is None  # the empty case


def test_the_pick_shared_out_to_the_reviewer_comes_first(ctx, qa, agent, card, make_user):
    """DESIGN.md: "Each sampled call has at most one in-sample evaluation": when two rules took
    the same call for two reviewers, each reviewer starts on the entry shared out to them;
    anyone else gets the first entry."""
    call = add_call(agent)
    other = make_user(role=Role.QA)
    first, second = sample(call, other), sample(call, qa)
    assert evaluations.sample_pick(call, qa).id == second.id
    assert evaluations.sample_pick(call, other).id == first.id
    assert evaluations.sample_pick(call, make_user(role=Role.QA)).id == first.id
    assert evaluations.sample_pick(call).id == first.id
    mine = evaluations.start(call, qa, card["version"], "", NOW)
    db.session.commit()
    assert mine.sampled_call_id == second.id
    assert evaluations.sample_pick(call, qa).id == first.id  # the entry still free


IN_SAMPLE_TAKEN = "抽样内评分已由另一位质检员开始"
NOT_TAKEN = "不是按已发布的抽取标准抽中的"


def test_the_refusal_says_whether_another_reviewer_holds_the_sample(ctx, qa, agent, card,
                                                                    make_user):
    """A second reviewer of a sampled call is told that the in-sample evaluation is taken; a
    call no rule took is explained as such, even while another call's in-sample evaluation
    exists."""
    taken, elsewhere = add_call(agent), add_call(agent, "C-2")
    sample(taken, qa)
    evaluations.start(taken, qa, card["version"], "", NOW)
    db.session.commit()
    second = make_user(role=Role.QA)
    with pytest.raises(Refusal) as refused:
        evaluations.start(taken, second, card["version"], "", NOW)
    assert (refused.value.field, IN_SAMPLE_TAKEN in refused.value.message) == ("reason", True)
    with pytest.raises(Refusal) as refused:
        evaluations.start(elsewhere, second, card["version"], "", NOW)
    assert refused.value.field == "reason"
    assert NOT_TAKEN in refused.value.message and IN_SAMPLE_TAKEN not in refused.value.message


@pytest.mark.parametrize("reason", ["", " ", " \n\t "])
def test_off_sample_without_a_reason_is_refused(ctx, qa, agent, card, reason):
    """DESIGN.md: "An evaluation of a call outside the sample is allowed only with a written
    reason"."""
    call = add_call(agent)
    with pytest.raises(Refusal) as refused:
        evaluations.start(call, qa, card["version"], reason, NOW)
    assert (refused.value.field, refused.value.message) == (
        "reason", "这通录音不是按已发布的抽取标准抽中的：请说明为什么要评分。")
    assert (count(Evaluation), audits("evaluation.start")) == (0, [])


def test_off_sample_with_a_reason_is_marked_as_such(ctx, qa, agent, card):
    """DESIGN.md: "allowed only with a written reason and is marked as such everywhere it
    appears" (one written character is a reason)."""
    call = add_call(agent)
    evaluation = evaluations.start(call, qa, card["version"], "  投\n", NOW)
    db.session.commit()
    assert (evaluation.off_sample_reason, evaluation.sampled_call_id, evaluation.calibration_id,
            evaluation.off_sample) == ("投", None, None, True)
    assert audits("evaluation.start")[0].after_dict()["off_sample_reason"] == "投"


def test_a_calibration_score_needs_no_reason_and_takes_no_sample(ctx, qa, agent, card):
    """Calibration: "A call every reviewer scores blind ... Never counts for the agent"."""
    call = add_call(agent)
    sample(call, qa)
    calibration = Calibration(call_id=call.id, scorecard_version_id=card["version"].id,
                              created_by_id=card["boss"].id)
    db.session.add(calibration)
    db.session.commit()
    blind = evaluations.start(call, qa, card["version"], "校准", NOW, calibration.id)
    db.session.commit()
    assert (blind.calibration_id, blind.sampled_call_id, blind.off_sample_reason,
            blind.off_sample) == (calibration.id, None, "", False)
    # the reviewer's own in-sample evaluation of the call is a different one, and each is
    # found again rather than made twice
    own = evaluations.start(call, qa, card["version"], "", NOW)
    assert own.id != blind.id and own.calibration_id is None and own.sampled_call_id is not None
    assert evaluations.start(call, qa, card["version"], "", LATER).id == own.id
    assert evaluations.start(call, qa, card["version"], "", LATER, calibration.id).id == blind.id
    assert (count(Evaluation), len(audits("evaluation.start"))) == (2, 2)


def test_a_reviewer_has_one_draft_per_call(ctx, qa, agent, card, make_user):
    """DESIGN.md: "Each sampled call has at most one in-sample evaluation": starting again
    returns the reviewer's own evaluation; another reviewer's is theirs."""
    call = add_call(agent)
    first = evaluations.start(call, qa, card["version"], "复查", NOW)
    again = evaluations.start(call, qa, card["version"], "", LATER)
    assert again.id == first.id and again.created_at == NOW
    other_qa = make_user(role=Role.QA)
    other = evaluations.start(call, other_qa, card["version"], "另一位", LATER)
    assert other.id != first.id and other.reviewer_id == other_qa.id
    other_call = evaluations.start(add_call(agent, "C-2"), qa, card["version"], "另一通", LATER)
    assert other_call.id not in (first.id, other.id)
    assert count(Evaluation) == 3


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD, Role.SUPERVISOR])
def test_only_a_reviewer_scores(ctx, agent, card, make_user, role):
    """DESIGN.md: qa (质检员) "scores the sampled calls on a scorecard"."""
    call = add_call(agent)
    with pytest.raises(NotYourTurnError):
        evaluations.start(call, make_user(role=role), card["version"], "想评", NOW)
    assert count(Evaluation) == 0


# --- saving and publishing ------------------------------------------------------------------


@pytest.fixture
def draft(ctx, qa, agent, card):
    call = add_call(agent)
    evaluation = evaluations.start(call, qa, card["version"], "抽查", NOW)
    db.session.commit()
    return evaluation


def marks(card, *ticks):
    """Marks for (item index, note, moment) ticks."""
    return [evaluations.Mark(card["items"][i].id, note, moment) for i, note, moment in ticks]


@pytest.mark.parametrize(("moment", "allowed"), [
    (-1, False), (0, True), (1, True),
    (DURATION - 1, True), (DURATION, True),  # the moment the call ends
    (DURATION + 1, False), (None, True),
])
def test_a_moment_falls_within_the_call(ctx, qa, card, draft, moment, allowed):
    """Deduction: "where in the recording": a moment from 0 to the call's length, both ends
    included; no moment at all is fine."""
    items = marks(card, (0, "", moment))
    if allowed:
        evaluations.save(draft, qa, items, draft.version, False, NOW)
        db.session.commit()
        assert [d.moment_s for d in draft.deductions] == [moment]
        return
    with pytest.raises(Refusal) as refused:
        evaluations.save(draft, qa, items, draft.version, False, NOW)
    # Issue: "A moment past the end of the call is refused beside its field, in m:ss"
    assert (refused.value.field, refused.value.message) == (
        f"moment-{items[0].item_id}", "时间点必须在通话时长内：0:00 至 5:00。")
    db.session.rollback()
    assert (draft.deductions, draft.score, audits("evaluation.save")) == ([], 100, [])


def test_a_refused_mark_keeps_the_saved_deductions(ctx, qa, card, draft):
    """A refusal changes nothing: the earlier deductions and score stay as they were."""
    evaluations.save(draft, qa, marks(card, (1, "答错", 10)), draft.version, False, NOW)
    db.session.commit()
    with pytest.raises(Refusal):
        evaluations.save(draft, qa, marks(card, (0, "", 5), (2, "", DURATION + 1)),
                         draft.version, False, LATER)
    db.session.rollback()
    assert [(d.item_id, d.moment_s) for d in draft.deductions] == [(card["items"][1].id, 10)]
    assert draft.score == 60


def test_an_item_of_another_scorecard_is_refused(ctx, qa, card, draft):
    """DESIGN.md: "An evaluation always records the scorecard version it used": only that
    version's items can be ticked."""
    boss = card["boss"]
    other = scorecards.create("投诉专项", boss)
    stray = scorecards.add_item(other, scorecards.add_category(other, "其他", boss), "外来项", 5,
                                "", boss)
    with pytest.raises(Refusal) as refused:
        evaluations.save(draft, qa, [evaluations.Mark(stray.id)], draft.version, False, NOW)
    assert (refused.value.field, refused.value.message) == ("items", "该扣分项不在此质检表中。")
    assert (draft.deductions, draft.score) == ([], 100)


def test_a_draft_keeps_each_deduction_with_its_points_note_and_moment(ctx, qa, card, draft):
    """DESIGN.md: "each with its points; a score starts at 100"; a draft is saved, not
    published."""
    note = "  " + "长" * 501 + "  "
    ctx.set(LATER)
    evaluations.save(draft, qa, marks(card, (2, " 泄露了号码 ", 300), (0, note, None)),
                     draft.version, False, LATER)
    db.session.commit()
    saved = db.session.get(Evaluation, draft.id)
    assert [(d.item_id, d.points, d.note, d.moment_s) for d in saved.deductions] == [
        (card["items"][2].id, 60, "泄露了号码", 300), (card["items"][0].id, 5, "长" * 500, None)]
    assert (saved.score, saved.status, saved.published_at) == (35, "draft", None)
    [row] = audits("evaluation.save")
    assert (row.actor_id, row.object_type, row.object_id, row.at) == (
        qa.id, "evaluation", str(draft.id), LATER)
    assert row.before_dict() == {"status": "draft", "score": 100, "off_sample_reason": "抽查",
        "comment": "",
                                 "scorecard_version_id": card["version"].id,
                                 "published_at": None, "read_at": None}
    assert row.after_dict() == {
        "status": "draft", "score": 35, "off_sample_reason": "抽查", "comment": "",
        "scorecard_version_id": card["version"].id, "published_at": None, "read_at": None,
        "deductions": sorted([card["items"][2].id, card["items"][0].id])}
    assert audits("evaluation.publish") == []


def test_saving_again_replaces_the_deductions(ctx, qa, card, draft):
    """The draft holds what the reviewer ticked last, one row per item."""
    evaluations.save(draft, qa, marks(card, (0, "", 1), (1, "", 2)), draft.version, False, NOW)
    db.session.commit()
    evaluations.save(draft, qa, marks(card, (1, "改", 3)), draft.version, False, NOW)
    db.session.commit()
    assert [(d.item_id, d.note, d.moment_s) for d in draft.deductions] == [
        (card["items"][1].id, "改", 3)]
    assert (draft.score, count(Deduction)) == (60, 1)
    evaluations.save(draft, qa, [], draft.version, False, NOW)  # the empty case
    db.session.commit()
    assert (draft.deductions, draft.score, count(Deduction)) == ([], 100, 0)


def test_publishing_fixes_the_score_and_the_moment(ctx, qa, card, draft):
    """evaluations module: "A published evaluation is never edited here (corrections come
    through appeals)"."""
    before = draft.version
    ctx.set(LATER)
    evaluations.save(draft, qa, marks(card, (1, "", None), (2, "", None)), before, True, LATER)
    db.session.commit()
    saved = db.session.get(Evaluation, draft.id)
    assert (saved.status, saved.published_at, saved.score, saved.read_at) == (
        "published", LATER, 0, None)
    assert audits("evaluation.save") == []
    [row] = audits("evaluation.publish")
    assert (row.actor_id, row.object_type, row.object_id, row.at) == (
        qa.id, "evaluation", str(draft.id), LATER)
    assert row.before_dict()["status"] == "draft"
    assert row.after_dict() == {
        "status": "published", "score": 0, "off_sample_reason": "抽查", "comment": "",
        "scorecard_version_id": card["version"].id, "published_at": LATER.isoformat(),
        "read_at": None, "deductions": sorted([card["items"][1].id, card["items"][2].id])}
    with pytest.raises(StaleError):
        evaluations.save(saved, qa, [], saved.version, False, LATER)
    assert (saved.score, len(saved.deductions)) == (0, 2)


def test_publishing_tells_the_agent_when_with_the_call_and_score(ctx, qa, agent, card, draft):
    """The agent is told when the evaluation was published, of which call, with what score;
    the overall comment keeps at most its 2,000 characters. (The clock stays at NOW: the
    notice is dated by the publication, not by the clock.)"""
    evaluations.save(draft, qa, marks(card, (1, "", None)), draft.version, True, LATER,
                     comment="好" * 2001)
    db.session.commit()
    assert db.session.get(Evaluation, draft.id).comment == "好" * 2000
    [told] = db.session.scalars(select(Notification)).all()
    assert (told.recipient_id, told.kind, told.created_at) == (
        agent.id, "evaluation.published", LATER)
    assert json.loads(told.params) == {"serial": "C-1", "score": draft.score}


def test_a_stale_or_someone_elses_save_is_refused(ctx, qa, card, draft, make_user):
    """STYLE.md: "a stale change answers 409 ... never a silent overwrite"; only the reviewer
    who started the draft saves it."""
    for seen in (draft.version - 1, draft.version + 1):
        with pytest.raises(StaleError):
            evaluations.save(draft, qa, marks(card, (0, "", None)), seen, True, NOW)
    with pytest.raises(NotYourTurnError):
        evaluations.save(draft, make_user(role=Role.QA), marks(card, (0, "", None)),
                         draft.version, True, NOW)
    assert (draft.status, draft.score, draft.deductions) == ("draft", 100, [])
    assert audits("evaluation.save") == audits("evaluation.publish") == []


def test_the_version_used_stays_with_the_evaluation(ctx, qa, card, draft):
    """DESIGN.md: "An evaluation always records the scorecard version it used": a change to
    a used version makes the next one, and the evaluation keeps its own points."""
    evaluations.save(draft, qa, marks(card, (0, "", None)), draft.version, True, NOW)
    db.session.commit()
    scorecards.change_item(card["card"], card["items"][0], "语气生硬", 9, "", card["boss"])
    db.session.commit()
    assert scorecards.latest(card["card"]).number == 2
    assert (draft.scorecard_version_id, draft.score, draft.deductions[0].points) == (
        card["version"].id, 95, 5)


# --- the agent reads it ---------------------------------------------------------------------


def test_the_agent_confirms_reading_once(ctx, qa, agent, card, draft):
    """evaluations module: "the agent confirms having read it"."""
    evaluations.save(draft, qa, [], draft.version, True, NOW)
    db.session.commit()
    ctx.set(LATER)
    evaluations.confirm_read(draft, agent, LATER)
    db.session.commit()
    assert db.session.get(Evaluation, draft.id).read_at == LATER
    [row] = audits("evaluation.read")
    assert (row.actor_id, row.actor_role, row.object_type, row.object_id, row.at) == (
        agent.id, "agent", "evaluation", str(draft.id), LATER)
    assert (row.before_dict(), row.after_dict()) == ({}, {"read_at": LATER.isoformat()})
    evaluations.confirm_read(draft, agent, LATER + timedelta(days=1))  # already read
    assert draft.read_at == LATER and len(audits("evaluation.read")) == 1


def test_only_the_agent_reads_and_only_a_published_evaluation(ctx, qa, agent, card, draft,
                                                              make_user):
    """A draft stays with the reviewer; another agent's evaluation is not theirs to confirm."""
    with pytest.raises(NotYourTurnError):
        evaluations.confirm_read(draft, agent, NOW)  # still a draft
    evaluations.save(draft, qa, [], draft.version, True, NOW)
    for somebody in (make_user(role=Role.AGENT), qa):
        with pytest.raises(NotYourTurnError):
            evaluations.confirm_read(draft, somebody, NOW)
    assert (draft.read_at, audits("evaluation.read")) == (None, [])
