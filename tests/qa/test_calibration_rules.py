"""Calibration rounds at their edges: Fleiss' kappa and the per-item agreement worked out by
hand, who dissents (nobody on a tie), which scores a round counts, and when it may close.

DESIGN.md: "qa ... runs QA reports and calibration"; "disputed items are proposed for the next
calibration round". app/qa/calibration.py: "every reviewer scores the same call blind, and the
result shows how far they agree, item by item and overall (Fleiss' kappa). Calibration scores
never count for the agent."
"""

from datetime import UTC, datetime
from itertools import count

import pytest
from sqlalchemy import select

from app import areas
from app.audit import AuditEvent
from app.extensions import db
from app.people.models import Role
from app.qa import calibration, evaluations, scorecards
from app.qa.calibration import ItemAgreement, Result
from app.qa.models import Calibration, Call
from app.workflow import Refusal, StaleError
from tests.conftest import login

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the clock fixture's time
LATER = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
NOT_SUBMITTED = "还没有质检员提交评分。"  # "No reviewer has submitted a score yet."

_serials = count(1)


# --- Fleiss' kappa, by hand ---------------------------------------------------------------
# For N subjects, n raters per subject, k categories and n_ij raters putting subject i in j:
#   P_i = (sum_j n_ij^2 - n) / (n (n - 1)),   P = mean of P_i,
#   p_j = sum_i n_ij / (N n),                 Pe = sum_j p_j^2,
#   kappa = (P - Pe) / (1 - Pe).


def test_kappa_of_two_raters_who_half_agree_is_below_zero():
    """Two raters (the fewest that are defined), two subjects.
    P_1 = (2² + 0² - 2) / (2·1) = 1;  P_2 = (1 + 1 - 2) / 2 = 0;  P = 1/2.
    p = (3/4, 1/4);  Pe = 9/16 + 1/16 = 5/8.
    kappa = (1/2 - 5/8) / (3/8) = -1/3."""
    assert calibration.fleiss_kappa([[2, 0], [1, 1]]) == pytest.approx(-1 / 3, abs=1e-12)


def test_kappa_of_three_raters_over_three_subjects():
    """P_1 = (9 - 3) / 6 = 1;  P_2 = (4 + 1 - 3) / 6 = 1/3;  P_3 = 1;  P = (7/3) / 3 = 7/9.
    p = (5/9, 4/9);  Pe = 25/81 + 16/81 = 41/81.
    kappa = (63/81 - 41/81) / (40/81) = 22/40 = 0.55."""
    assert calibration.fleiss_kappa([[3, 0], [2, 1], [0, 3]]) == pytest.approx(0.55, abs=1e-12)


def test_kappa_over_three_categories():
    """P_1 = (9 - 3) / 6 = 1;  P_2 = (4 + 1 - 3) / 6 = 1/3;  P = 2/3.
    p = (3/6, 2/6, 1/6);  Pe = 9/36 + 4/36 + 1/36 = 7/18.
    kappa = (12/18 - 7/18) / (11/18) = 5/11."""
    assert calibration.fleiss_kappa([[3, 0, 0], [0, 2, 1]]) == pytest.approx(5 / 11, abs=1e-12)


def test_kappa_of_a_single_subject_is_computed():
    """One subject (a scorecard with one item) is enough for the formula:
    P = (4 + 1 - 3) / 6 = 1/3;  p = (2/3, 1/3);  Pe = 4/9 + 1/9 = 5/9.
    kappa = (3/9 - 5/9) / (4/9) = -1/2.
    (The function's docstring says None for fewer than two subjects; the code and the formula
    need only one, and an empty table is the one without subjects.)"""
    assert calibration.fleiss_kappa([[2, 1]]) == pytest.approx(-0.5, abs=1e-12)


def test_kappa_of_complete_agreement_across_categories_is_one():
    """P = 1;  p = (1/2, 1/2);  Pe = 1/2;  kappa = (1 - 1/2) / (1/2) = 1."""
    assert calibration.fleiss_kappa([[2, 0], [0, 2]]) == pytest.approx(1.0, abs=1e-12)


def test_kappa_when_everything_went_into_one_category_is_exactly_one():
    """Pe = 1 makes the formula 0/0; everybody agreeing on everything is complete agreement."""
    assert calibration.fleiss_kappa([[2, 0], [2, 0]]) == 1.0
    assert calibration.fleiss_kappa([[0, 3], [0, 3], [0, 3]]) == 1.0


@pytest.mark.parametrize("table", [
    [],  # no subjects at all
    [[0, 0]],  # no raters
    [[1, 0], [0, 1]],  # a single rater: one fewer than the least that is defined
    [[2, 0], [1, 1], [1, 0]],  # the last subject lost a rater
    [[1, 1], [3, 0]],  # a later subject has one rater more
])
def test_kappa_is_undefined(table):
    """ "None when it is undefined (fewer than two raters ...)", and every subject must have
    the same number of raters."""
    assert calibration.fleiss_kappa(table) is None


# --- one item across the reviewers --------------------------------------------------------


def test_a_majority_that_deducted_leaves_the_keepers_as_dissenters():
    """ "The share of reviewers on the majority side": 2 of 3.
    "Who stood apart from the majority": the one who kept the points."""
    item = ItemAgreement("语气生硬", 10, ["甲", "乙"], ["丙"])
    assert item.agreement == pytest.approx(2 / 3, abs=1e-12)
    assert item.dissenters == ["丙"]


def test_a_majority_that_kept_leaves_the_deducters_as_dissenters():
    item = ItemAgreement("语气生硬", 10, ["甲"], ["乙", "丙", "丁"])
    assert item.agreement == pytest.approx(3 / 4, abs=1e-12)
    assert item.dissenters == ["甲"]


@pytest.mark.parametrize(("deducted", "kept"), [(["甲"], ["乙"]), (["甲", "乙"], ["丙", "丁"])])
def test_a_tie_has_no_dissenters(deducted, kept):
    """ "Who stood apart from the majority (nobody on a tie)": there is no majority, so neither
    side is named, and agreement is half."""
    item = ItemAgreement("语气生硬", 10, deducted, kept)
    assert item.dissenters == []
    assert item.agreement == 0.5


def test_unanimous_and_empty_items_agree_completely():
    assert ItemAgreement("a", 5, ["甲", "乙"], []).agreement == 1.0
    assert ItemAgreement("a", 5, ["甲", "乙"], []).dissenters == []
    assert ItemAgreement("a", 5, [], ["甲", "乙"]).dissenters == []
    nobody = ItemAgreement("a", 5, [], [])
    assert nobody.agreement == 1.0  # no reviewer, no disagreement
    assert nobody.dissenters == []


def test_items_agreed_is_the_share_on_which_every_reviewer_agreed():
    """Issue: ""Items agreed" is the share of items on which every reviewer agreed. Today it
    shows 92% for 10 of 12." Of a (2 against 1), b (1 against 1), c (all kept) and d (all
    deducted), only c and d are unanimous: 2 of 4, 50%; no items, no share."""
    items = [ItemAgreement("a", 5, ["甲", "乙"], ["丙"]), ItemAgreement("b", 5, ["甲"], ["乙"]),
             ItemAgreement("c", 5, [], ["甲"]), ItemAgreement("d", 5, ["甲", "乙"], [])]
    assert [i.unanimous for i in items] == [False, False, True, True]
    found = Result([], items, None)
    assert (found.items_agreed, found.agreed_share) == (2, 0.5)
    assert Result([], [], None).agreed_share is None
    # 10 of 12 is 83%, not the 92% a mean of the items' majorities gave
    twelve = [ItemAgreement(str(n), 1, ["甲", "乙", "丙"], []) for n in range(10)] + [
        ItemAgreement("x", 1, ["甲", "乙"], ["丙"]), ItemAgreement("y", 1, ["甲"], ["乙", "丙"])]
    assert Result([], twelve, None).agreed_share == pytest.approx(10 / 12)


@pytest.mark.parametrize(("kappa", "band"), [
    (-0.01, "poor"), (0.0, "slight"), (0.20, "slight"), (0.2001, "fair"), (0.40, "fair"),
    (0.41, "moderate"), (0.60, "moderate"), (0.61, "substantial"), (0.80, "substantial"),
    (0.81, "almost perfect"), (1.0, "almost perfect")])
def test_kappa_reads_in_landis_and_koch_bands(kappa, band):
    """Issue: "Kappa has a one-line explanation of what the value means (e.g. Landis–Koch
    bands)": below 0 poor, to 0.20 slight, 0.40 fair, 0.60 moderate, 0.80 substantial."""
    assert calibration.band_of(kappa) == band
    assert Result([], [], kappa).kappa_band == band
    assert Result([], [], None).kappa_band is None


# --- rounds through the services ------------------------------------------------------------


@pytest.fixture
def bench(app, make_user, clock):
    """A supervisor, an agent's call, a scorecard of four items (10, 5, 20 and 3 points) and
    four reviewers, created in an order that is neither alphabetical nor the order they
    submit in."""
    boss = make_user(role=Role.SUPERVISOR, name="主管")
    agent = make_user(role=Role.AGENT, name="座席")
    reviewers = {name: make_user(role=Role.QA, name=name) for name in ("Mia", "Ann", "Zoe", "Bob")}
    with app.test_request_context():
        card = scorecards.create("校准质检表", boss)
        category = scorecards.add_category(card, "服务态度", boss)
        items = [scorecards.add_item(card, category, name, points, "", boss)
                 for name, points in (("A语气生硬", 10), ("B未核实身份", 5), ("C答复错误", 20),
                                      ("D未致结束语", 3))]
        version = scorecards.latest(card)
        db.session.commit()
    add_call(agent)
    return {"boss": boss, "agent": agent, "version": version, "items": items, **reviewers}


def add_call(agent) -> Call:
    call = Call(serial_no=f"CAL{next(_serials)}", agent_id=agent.id, started_at=NOW,
                duration_s=300, direction="in")
    db.session.add(call)
    db.session.commit()
    return call


def open_round(bench, call=None) -> Calibration:
    call = call or db.session.scalar(select(Call).order_by(Call.id).limit(1))
    round_ = calibration.create(call, bench["version"], bench["boss"], NOW)
    db.session.commit()
    return round_


def begin(bench, round_, name):
    """A reviewer opens a blind score of the round's call."""
    evaluation = evaluations.start(round_.call, bench[name], bench["version"], "", NOW,
                                   calibration_id=round_.id)
    db.session.commit()
    return evaluation


def submit(bench, round_, name, ticked, publish=True):
    """A reviewer's blind score of the round's call, ticking items by their index."""
    evaluation = begin(bench, round_, name)  # the one already opened, if any
    evaluations.save(evaluation, bench[name], [evaluations.Mark(bench["items"][i].id)
                                               for i in ticked], evaluation.version, publish,
                     NOW)
    db.session.commit()
    return evaluation


def audit_rows(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def test_a_round_records_the_call_the_version_who_and_when(app, bench):
    """A round is on one call against one scorecard version; it starts open, and its start is
    audited."""
    call = db.session.scalar(select(Call))
    round_ = calibration.create(call, bench["version"], bench["boss"], NOW)
    db.session.commit()
    stored = db.session.get(Calibration, round_.id)
    assert (stored.call_id, stored.scorecard_version_id, stored.created_by_id,
            stored.created_at, stored.closed_at) == (
        call.id, bench["version"].id, bench["boss"].id, NOW, None)
    [row] = audit_rows("calibration.create")
    assert (row.actor_id, row.actor_role, row.object_type, row.object_id, row.at) == (
        bench["boss"].id, "supervisor", "calibration", str(round_.id), NOW)
    assert row.before_dict() == {}
    assert row.after_dict() == {"call": call.serial_no, "scorecard_version": bench["version"].id}


def test_the_result_item_by_item_and_kappa_by_hand(app, bench):
    """Three reviewers open their scores (Zoe, then Ann, then Mia) and submit them in the
    reverse order; Bob's draft and every score outside the round do not count ("from the
    submitted (published) calibration scores").

    Ticks:  Zoe A,B (100-10-5 = 85) · Ann A (90) · Mia C (80) · nobody D.
    Items, as the scorecard lists them, with the reviewers in the order they opened:
      A: deducted Zoe, Ann / kept Mia         agreement 2/3, dissenter Mia
      B: deducted Zoe / kept Ann, Mia         agreement 2/3, dissenter Zoe
      C: deducted Mia / kept Zoe, Ann         agreement 2/3, dissenter Mia
      D: deducted nobody / kept all three     agreement 1
    Overall: (2/3 · 3 + 1) / 4 = 3/4.
    Kappa over [[2,1],[1,2],[1,2],[0,3]], n = 3, N = 4:
      P_A = P_B = P_C = (4 + 1 - 3) / 6 = 1/3;  P_D = (9 - 3) / 6 = 1;  P = (1 + 1) / 4 = 1/2.
      p = (4/12, 8/12) = (1/3, 2/3);  Pe = 1/9 + 4/9 = 5/9.
      kappa = (1/2 - 5/9) / (4/9) = (9/18 - 10/18) / (8/18) = -1/8.
    """
    round_ = open_round(bench)
    for name in ("Zoe", "Ann", "Mia"):  # they open their scores in this order ...
        begin(bench, round_, name)
    submit(bench, round_, "Mia", [2])  # ... and submit them the other way round
    submit(bench, round_, "Ann", [0])
    submit(bench, round_, "Zoe", [0, 1])
    submit(bench, round_, "Bob", [0, 1, 2, 3], publish=False)  # a draft: not submitted
    other = open_round(bench)  # the same call in another round
    submit(bench, other, "Bob", [3])
    regular = evaluations.start(round_.call, bench["Bob"], bench["version"], "抽查", NOW)
    evaluations.save(regular, bench["Bob"], [evaluations.Mark(bench["items"][3].id)],
                     regular.version, True, NOW)
    db.session.commit()

    found = calibration.result(round_)

    assert found.scores == [("Zoe", 85), ("Ann", 90), ("Mia", 80)]
    assert [(i.name, i.points, i.deducted_by, i.kept_by) for i in found.items] == [
        ("A语气生硬", 10, ["Zoe", "Ann"], ["Mia"]),
        ("B未核实身份", 5, ["Zoe"], ["Ann", "Mia"]),
        ("C答复错误", 20, ["Mia"], ["Zoe", "Ann"]),
        ("D未致结束语", 3, [], ["Zoe", "Ann", "Mia"]),
    ]
    assert [i.dissenters for i in found.items] == [["Mia"], ["Zoe"], ["Mia"], []]
    assert [i.agreement for i in found.items] == pytest.approx([2 / 3, 2 / 3, 2 / 3, 1.0])
    assert (found.items_agreed, found.agreed_share) == (1, 1 / 4)  # only D: all kept
    assert found.kappa == pytest.approx(-1 / 8, abs=1e-12)


def test_two_reviewers_are_enough_for_kappa_and_their_tie_names_nobody(app, bench):
    """Two submitted scores (the fewest for kappa). Ann ticks A and B, Zoe ticks A only.
      A: both deducted (agreement 1);  B: 1 against 1, a tie: agreement 1/2, no dissenters;
      C, D: both kept.
    Kappa over [[2,0],[1,1],[0,2],[0,2]], n = 2, N = 4:
      P = (1 + 0 + 1 + 1) / 4 = 3/4;  p = (3/8, 5/8);  Pe = 9/64 + 25/64 = 17/32.
      kappa = (24/32 - 17/32) / (15/32) = 7/15."""
    round_ = open_round(bench)
    submit(bench, round_, "Ann", [0, 1])
    submit(bench, round_, "Zoe", [0])

    found = calibration.result(round_)

    tie = found.items[1]
    assert (tie.deducted_by, tie.kept_by) == (["Ann"], ["Zoe"])
    assert tie.dissenters == []
    assert tie.agreement == 0.5
    assert (found.items_agreed, found.agreed_share) == (3, 3 / 4)  # B is a tie
    assert found.kappa == pytest.approx(7 / 15, abs=1e-12)


def test_one_submitted_score_has_no_kappa(app, bench):
    """Kappa needs at least two reviewers; one alone agrees with itself on every item."""
    round_ = open_round(bench)
    submit(bench, round_, "Ann", [0])
    submit(bench, round_, "Zoe", [1], publish=False)

    found = calibration.result(round_)

    assert found.scores == [("Ann", 90)]
    assert found.kappa is None
    assert [(i.deducted_by, i.kept_by) for i in found.items] == [
        (["Ann"], []), ([], ["Ann"]), ([], ["Ann"]), ([], ["Ann"])]
    assert found.agreed_share == 1.0


def test_a_round_nobody_submitted_is_empty(app, bench):
    """The empty case: no scores, no kappa, nobody on either side of any item."""
    round_ = open_round(bench)
    submit(bench, round_, "Ann", [0], publish=False)

    found = calibration.result(round_)

    assert found.scores == []
    assert found.kappa is None
    assert [(i.name, i.deducted_by, i.kept_by) for i in found.items] == [
        ("A语气生硬", [], []), ("B未核实身份", [], []), ("C答复错误", [], []),
        ("D未致结束语", [], [])]


def _refused_to_close(app, round_, actor):
    with app.test_request_context(), pytest.raises(Refusal) as refused:
        calibration.close(round_, actor, LATER)
    db.session.rollback()
    assert refused.value.field == "close"
    assert refused.value.message == NOT_SUBMITTED
    assert db.session.get(Calibration, round_.id).closed_at is None
    assert audit_rows("calibration.close") == []


def test_a_round_without_any_score_cannot_close(app, bench):
    """ "End the round: from now on every reviewer sees everybody's scores" — refused while
    "No reviewer has submitted a score yet."."""
    round_ = open_round(bench)
    _refused_to_close(app, round_, bench["boss"])


def test_a_draft_is_not_a_submitted_score(app, bench):
    round_ = open_round(bench)
    submit(bench, round_, "Ann", [0], publish=False)
    _refused_to_close(app, round_, bench["boss"])


def test_scores_outside_the_round_do_not_let_it_close(app, bench):
    """A published score in another round of the same call, or an ordinary evaluation of the
    call, is not a submission to this round."""
    round_ = open_round(bench)
    other = open_round(bench)
    submit(bench, other, "Ann", [0])
    regular = evaluations.start(round_.call, bench["Zoe"], bench["version"], "抽查", NOW)
    evaluations.save(regular, bench["Zoe"], [], regular.version, True, NOW)
    db.session.commit()
    _refused_to_close(app, round_, bench["boss"])


def test_one_submitted_score_is_enough_to_close_and_closing_is_audited(app, bench, clock):
    """The first published score makes the round closable; closing stamps the time and writes
    the audit row."""
    round_ = open_round(bench)
    submit(bench, round_, "Ann", [0])
    clock.set(LATER)
    with app.test_request_context():
        calibration.close(round_, bench["boss"], LATER)
        db.session.commit()  # inside: the request's teardown rolls back what is left open
    assert db.session.get(Calibration, round_.id).closed_at == LATER
    [row] = audit_rows("calibration.close")
    assert (row.actor_id, row.actor_role, row.object_type, row.object_id, row.at) == (
        bench["boss"].id, "supervisor", "calibration", str(round_.id), LATER)
    assert row.before_dict() == {}
    assert row.after_dict() == {"closed_at": LATER.isoformat()}


def test_a_closed_round_cannot_close_again(app, bench, clock):
    """A second close is stale: the first closing time and its single audit row stay."""
    round_ = open_round(bench)
    submit(bench, round_, "Ann", [0])
    calibration.close(round_, bench["boss"], NOW)
    db.session.commit()
    with pytest.raises(StaleError):
        calibration.close(round_, bench["boss"], LATER)
    db.session.rollback()
    assert db.session.get(Calibration, round_.id).closed_at == NOW
    assert len(audit_rows("calibration.close")) == 1


# --- waiting for the reviewers -----------------------------------------------------------------


def _waiting(app, person) -> int:
    """The person's count of calibration rounds waiting, as the badge adds it up."""
    with app.test_request_context():
        return areas.waiting_counts(person)["calibrations"]


def test_an_open_round_waits_for_each_reviewer_until_they_submit(app, bench):
    """Every QA reviewer scores a round blind: an open round waits for each reviewer who has
    not submitted, a draft does not count as submitted, and a submitted score ends the wait
    for that reviewer only."""
    round_ = open_round(bench)
    assert [_waiting(app, bench[name]) for name in ("Ann", "Bob")] == [1, 1]
    submit(bench, round_, "Ann", [0], publish=False)
    assert _waiting(app, bench["Ann"]) == 1  # a draft: still to submit
    submit(bench, round_, "Ann", [0])
    assert [_waiting(app, bench[name]) for name in ("Ann", "Bob")] == [0, 1]


def test_a_score_in_one_round_does_not_answer_another(app, bench):
    """Each round waits for its own score: Ann's submission to one round (or her ordinary
    evaluations) leaves the other round waiting for her."""
    first, _second = open_round(bench), open_round(bench)
    submit(bench, first, "Ann", [0])
    assert _waiting(app, bench["Ann"]) == 1


def test_a_closed_round_waits_for_nobody_and_other_roles_never_wait(app, bench):
    round_ = open_round(bench)
    assert [_waiting(app, bench[key]) for key in ("boss", "agent")] == [0, 0]
    submit(bench, round_, "Ann", [0])
    calibration.close(round_, bench["boss"], NOW)
    db.session.commit()
    assert _waiting(app, bench["Bob"]) == 0


def test_the_reviewers_home_card_links_to_the_rounds_waiting(app, bench, client):
    open_round(bench)
    open_round(bench)
    login(client, bench["Bob"].username)
    page = client.get("/").get_data(as_text=True)
    assert "2 轮校准等待您评分" in page and 'href="/calibrations"' in page
