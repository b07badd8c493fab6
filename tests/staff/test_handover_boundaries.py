"""Handover rules at their edges, without HTTP (issue 10, points 2 and 3).

DESIGN.md, Staff and time: "Handover (交接班): the outgoing shift records unfinished items,
instructions from above and equipment problems; the incoming shift acknowledges each item; the
lead signs the handover; open items carry forward until the incoming lead closes them with a
resolution note."

SECURITY.md: "Every change of state writes its audit row in the same transaction: who, role,
what, which object, before/after, when (UTC)" and "nothing is half-saved".
"""

from datetime import date

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.extensions import db
from app.people.models import Role
from app.staff import handovers, policy
from app.staff.models import Handover, HandoverItem
from app.workflow import NotYourTurnError, Refusal, StaleError

DAY = date(2026, 11, 20)
KIND_MESSAGE = "请为每一项选择类别。"
DETAILS_MESSAGE = "每一项都需要填写详情。"
MORE_MESSAGE = "请说明还需要了解哪些情况。"


@pytest.fixture
def floor(app, make_user, make_team, clock):
    """Team A's lead hands over to team B's lead; team C's lead, an agent, QA and a supervisor."""
    lead_a = make_user(role=Role.LEAD, name="早班组长")
    lead_b = make_user(role=Role.LEAD, name="晚班组长")
    lead_c = make_user(role=Role.LEAD, name="丙组长")
    team_a, team_b = make_team("早班组", lead=lead_a), make_team("晚班组", lead=lead_b)
    team_c = make_team("丙组", lead=lead_c)
    return {"lead_a": lead_a, "lead_b": lead_b, "lead_c": lead_c, "team_a": team_a,
            "team_b": team_b, "team_c": team_c, "boss": make_user(role=Role.SUPERVISOR),
            "agent": make_user(team=team_a), "qa": make_user(role=Role.QA), "clock": clock}


def write(floor, *items, writer="lead_a", team="team_a", notes="") -> Handover:
    handover = handovers.write(floor[team], floor[writer], DAY, "早班", notes, list(items),
                               floor["clock"].now)
    db.session.commit()
    return handover


def receive_all(floor, handover, who="lead_b") -> None:
    """Acknowledge every item waiting on the handover and sign it."""
    for item in handovers.items_to_receive(handover):
        if item.closed_at is None:
            handovers.acknowledge(item, handover, floor[who], False, "", item.version)
    handovers.sign(handover, floor[who], handover.version, floor["clock"].now)
    db.session.commit()


def audits(action: str | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def check_audit(row: AuditEvent, action, actor, obj, after, clock) -> None:
    """The audit row names who (and in which role), what, which object, before/after and when."""
    assert row.action == action
    assert (row.actor_id, row.actor_role) == (actor.id, str(actor.role))
    assert (row.object_type, row.object_id) == (obj.__tablename__, str(obj.id))
    assert row.before_dict() == {}
    assert row.after_dict() == after
    assert row.at == clock.now


def item_state(item: HandoverItem) -> tuple:
    db.session.refresh(item)
    return (item.ack_status, item.ack_note, item.ack_handover_id, item.closed_at,
            item.closed_by_id, item.version)


# --- who writes, who receives ---------------------------------------------------------------

def test_who_may_write_a_handover(floor):
    """Rule: the outgoing shift records the handover; a lead writes for the team they lead, a
    supervisor for any team."""
    team_a = floor["team_a"]
    assert policy.can_write_handover(floor["lead_a"], team_a) is True
    assert policy.can_write_handover(floor["boss"], team_a) is True
    assert policy.can_write_handover(floor["boss"], floor["team_c"]) is True
    assert policy.can_write_handover(floor["lead_b"], team_a) is False
    assert policy.can_write_handover(floor["agent"], team_a) is False
    assert policy.can_write_handover(floor["qa"], team_a) is False
    # Being named as a team's lead is not enough without the lead role.
    team_a.lead_id = floor["agent"].id
    assert policy.can_write_handover(floor["agent"], team_a) is False
    # No team, nothing to write for (the check fails closed).
    assert policy.can_write_handover(floor["boss"], None) is False


@pytest.mark.parametrize("who", ["lead_b", "agent", "qa"])
def test_someone_else_cannot_write_the_teams_handover_and_nothing_is_stored(floor, who):
    """Rule: the outgoing shift (its lead) records the handover."""
    with pytest.raises(NotYourTurnError):
        handovers.write(floor["team_a"], floor[who], DAY, "早班", "",
                        [("customer", "回电", "")], floor["clock"].now)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Handover.id))) == 0
    assert db.session.scalar(select(func.count(HandoverItem.id))) == 0
    assert audit_count() == 0


def test_who_may_receive_a_handover(floor):
    """Rule: the incoming shift acknowledges each item and its lead signs: any lead or
    supervisor other than the one who wrote it."""
    written = write(floor, ("customer", "回电", ""))
    assert handovers.may_receive(floor["lead_b"], written) is True
    assert handovers.may_receive(floor["lead_c"], written) is True
    assert handovers.may_receive(floor["boss"], written) is True
    assert handovers.may_receive(floor["lead_a"], written) is False
    assert handovers.may_receive(floor["agent"], written) is False
    assert handovers.may_receive(floor["qa"], written) is False
    by_boss = write(floor, ("customer", "回电", ""), writer="boss")
    assert handovers.may_receive(floor["boss"], by_boss) is False
    assert handovers.may_receive(floor["lead_a"], by_boss) is True


# --- write ----------------------------------------------------------------------------------

def test_write_stores_the_handover_its_items_and_one_audit_row(floor):
    """Rule: the outgoing shift records unfinished items, instructions from above and
    equipment problems."""
    clock = floor["clock"]
    handover = handovers.write(floor["team_a"], floor["lead_a"], DAY, "早班", "交接备注", [
        ("customer", "  王先生退款回电  ", " 王先生 13900001111 "),
        ("instruction", "明早九点开会", "主管"),
        ("equipment", "7 号座席耳机有杂音", ""),
    ], clock.now)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(select(Handover))
    assert stored.id == handover.id
    assert (stored.team_id, stored.day, stored.shift_label, stored.notes, stored.written_by_id,
            stored.written_at, stored.signed_by_id, stored.signed_at) == (
        floor["team_a"].id, DAY, "早班", "交接备注", floor["lead_a"].id, clock.now, None, None)
    rows = [(i.handover_id, i.team_id, i.kind, i.details, i.contact, i.ack_status, i.ack_note,
             i.ack_handover_id, i.closed_at, i.closed_by_id) for i in stored.items]
    assert rows == [
        (handover.id, floor["team_a"].id, "customer", "王先生退款回电", "王先生 13900001111",
         "pending", "", None, None, None),
        (handover.id, floor["team_a"].id, "instruction", "明早九点开会", "主管",
         "pending", "", None, None, None),
        (handover.id, floor["team_a"].id, "equipment", "7 号座席耳机有杂音", "",
         "pending", "", None, None, None),
    ]
    [row] = audits()
    check_audit(row, "handover.write", floor["lead_a"], stored,
                {"team_id": floor["team_a"].id, "day": "2026-11-20", "items": 3}, clock)


def test_a_supervisor_writes_for_any_team(floor):
    """Rule: the handover is written for the team whose shift goes off (a supervisor may write
    for any team)."""
    handover = write(floor, ("equipment", "耳机", ""), writer="boss", team="team_c")
    assert (handover.team_id, handover.written_by_id) == (floor["team_c"].id, floor["boss"].id)
    assert handover.items[0].team_id == floor["team_c"].id


def test_a_handover_without_items_is_the_empty_case(floor):
    """Rule: the outgoing shift records unfinished items; with none the handover holds notes
    only, and the incoming lead signs it at once."""
    handover = write(floor, notes="一切正常")
    assert handover.items == [] and handover.notes == "一切正常"
    assert handovers.items_to_receive(handover) == []
    [row] = audits("handover.write")
    assert row.after_dict()["items"] == 0
    handovers.sign(handover, floor["lead_b"], handover.version, floor["clock"].now)
    assert handover.signed_by_id == floor["lead_b"].id


@pytest.mark.parametrize("kind", ["", "Customer", "other", " customer"])
def test_an_item_without_a_known_kind_is_refused_and_nothing_is_stored(floor, kind):
    """Rule: each item is an unfinished customer matter, an instruction from above or an
    equipment problem; a refusal saves nothing (SECURITY.md: "nothing is half-saved")."""
    with pytest.raises(Refusal) as refused:
        handovers.write(floor["team_a"], floor["lead_a"], DAY, "早班", "", [
            ("customer", "第一项没问题", ""), (kind, "第二项", "")], floor["clock"].now)
    assert (refused.value.field, refused.value.message) == ("items", KIND_MESSAGE)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Handover.id))) == 0
    assert db.session.scalar(select(func.count(HandoverItem.id))) == 0
    assert audit_count() == 0


@pytest.mark.parametrize("details", ["", " ", "\t\n　"])
def test_an_item_without_details_is_refused_and_nothing_is_stored(floor, details):
    """Rule: the outgoing shift records the items themselves: an item with blank details is
    refused, and the good items before it are not saved either."""
    with pytest.raises(Refusal) as refused:
        handovers.write(floor["team_a"], floor["lead_a"], DAY, "早班", "", [
            ("customer", "第一项没问题", ""), ("equipment", details, "")], floor["clock"].now)
    assert (refused.value.field, refused.value.message) == ("items", DETAILS_MESSAGE)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Handover.id))) == 0
    assert audit_count() == 0


def test_one_character_of_details_is_enough(floor):
    """Rule: every item needs its details: one character is just inside."""
    handover = write(floor, ("equipment", " 坏 ", ""))
    assert [i.details for i in handover.items] == ["坏"]


# --- carrying forward -----------------------------------------------------------------------

def test_open_items_carry_forward_to_the_next_handover_of_the_same_team(floor):
    """Rule: open items carry forward until the incoming lead closes them: the next handover of
    the team takes every open item (acknowledged afresh), not closed ones, not other teams'."""
    first = write(floor, ("customer", "退款回电", "王先生"), ("instruction", "明早开会", "主管"))
    refund, meeting = first.items
    theirs = write(floor, ("equipment", "丙组耳机", ""), writer="lead_c", team="team_c")
    receive_all(floor, first)
    handovers.close_item(meeting, floor["lead_b"], meeting.version, floor["clock"].now)
    db.session.commit()
    assert (refund.ack_status, meeting.ack_status) == ("acknowledged", "acknowledged")

    second = write(floor, ("equipment", "耳机杂音", ""))
    [new] = second.items
    db.session.expire_all()
    assert (refund.ack_status, refund.ack_handover_id, refund.handover_id) == (
        "pending", second.id, first.id)
    assert (meeting.ack_status, meeting.ack_handover_id) == ("acknowledged", None)
    assert (theirs.items[0].ack_status, theirs.items[0].ack_handover_id) == ("pending", None)
    assert (new.ack_status, new.ack_handover_id) == ("pending", None)
    assert handovers.items_to_receive(second) == [refund, new]
    assert handovers.items_to_receive(first) == [refund, meeting]  # its own items, closed too


def test_open_items_are_the_teams_unclosed_items_oldest_first(floor):
    """Rule: open items carry forward until closed; `before` keeps those of earlier handovers
    only (strictly earlier: the boundary handover itself is not before itself)."""
    assert handovers.open_items(floor["team_a"].id) == []  # the empty case
    first = write(floor, ("customer", "一", ""), ("customer", "二", ""))
    one, two = first.items
    write(floor, ("customer", "丙", ""), writer="lead_c", team="team_c")
    second = write(floor, ("customer", "三", ""))
    [three] = second.items
    handovers.close_item(two, floor["lead_b"], two.version, floor["clock"].now)
    db.session.commit()
    team = floor["team_a"].id
    assert handovers.open_items(team) == [one, three]
    assert handovers.open_items(team, before=second.id + 1) == [one, three]
    assert handovers.open_items(team, before=second.id) == [one]
    assert handovers.open_items(team, before=first.id + 1) == [one]
    assert handovers.open_items(team, before=first.id) == []
    assert handovers.open_items(floor["team_b"].id) == []


def test_an_item_carried_twice_is_received_on_the_latest_handover_only(floor):
    """Rule: the incoming shift acknowledges each item: a carried item waits on the newest
    handover; acknowledging it on an older one is stale."""
    first = write(floor, ("customer", "退款回电", ""))
    [refund] = first.items
    receive_all(floor, first)
    second = write(floor)
    third = write(floor)
    db.session.refresh(refund)
    assert refund.ack_handover_id == third.id
    assert handovers.items_to_receive(second) == []
    assert handovers.items_to_receive(third) == [refund]
    with pytest.raises(StaleError):
        handovers.acknowledge(refund, second, floor["lead_b"], False, "", refund.version)
    handovers.acknowledge(refund, third, floor["lead_b"], False, "", refund.version)
    assert refund.ack_status == "acknowledged"


# --- acknowledge ----------------------------------------------------------------------------

def test_acknowledging_an_item_stores_the_status_the_note_and_an_audit_row(floor):
    """Rule: the incoming shift acknowledges each item."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    handovers.acknowledge(item, handover, floor["lead_b"], False, "  收到  ", item.version)
    db.session.commit()
    assert item_state(item) == ("acknowledged", "收到", None, None, None, 2)
    [row] = audits("handover.item_ack")
    check_audit(row, "handover.item_ack", floor["lead_b"], item,
                {"ack_status": "acknowledged", "handover_id": handover.id}, floor["clock"])


def test_a_plain_acknowledgment_needs_no_note(floor):
    """Rule: the incoming shift acknowledges each item (a note is asked only when more is
    needed)."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    handovers.acknowledge(item, handover, floor["boss"], False, "", item.version)
    assert (item.ack_status, item.ack_note) == ("acknowledged", "")


def test_asking_for_more_stores_the_question(floor):
    """Rule: the incoming shift acknowledges each item, or asks what more it needs to know."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    handovers.acknowledge(item, handover, floor["lead_b"], True, " 哪位客户？ ", item.version)
    db.session.commit()
    assert item_state(item)[:2] == ("needs_more", "哪位客户？")
    [row] = audits("handover.item_ack")
    assert row.after_dict() == {"ack_status": "needs_more", "handover_id": handover.id}


@pytest.mark.parametrize("note", ["", "   "])
def test_asking_for_more_without_saying_what_is_refused(floor, note):
    """Rule: asking for more about an item says what more is needed; nothing is stored."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    before = item_state(item)
    with pytest.raises(Refusal) as refused:
        handovers.acknowledge(item, handover, floor["lead_b"], True, note, item.version)
    assert (refused.value.field, refused.value.message) == ("note", MORE_MESSAGE)
    db.session.rollback()
    assert item_state(item) == before
    assert audits("handover.item_ack") == []


@pytest.mark.parametrize("who", ["lead_a", "agent", "qa"])
def test_only_the_incoming_side_acknowledges(floor, who):
    """Rule: the incoming shift acknowledges each item: not the writer, not an agent or QA."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    before = item_state(item)
    with pytest.raises(NotYourTurnError):
        handovers.acknowledge(item, handover, floor[who], False, "", item.version)
    db.session.rollback()
    assert item_state(item) == before
    assert audits("handover.item_ack") == []


@pytest.mark.parametrize("offset", [-1, 1])
def test_an_acknowledgment_of_another_version_is_stale(floor, offset):
    """SECURITY.md: "Concurrent changes ...: exactly one wins, the other gets 409": the item's
    version must be the one seen, neither older nor newer."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    before = item_state(item)
    with pytest.raises(StaleError):
        handovers.acknowledge(item, handover, floor["lead_b"], False, "", item.version + offset)
    assert item_state(item) == before


def test_an_item_of_a_signed_handover_cannot_be_acknowledged_again(floor):
    """Rule: the lead signs the handover once every item is acknowledged; after the signature
    the acknowledgments are final."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    receive_all(floor, handover)
    with pytest.raises(StaleError):
        handovers.acknowledge(item, handover, floor["lead_b"], True, "再说说", item.version)
    assert item_state(item)[0] == "acknowledged"


def test_a_closed_item_or_another_handovers_item_cannot_be_acknowledged(floor):
    """Rule: the incoming shift acknowledges each item of this handover; a closed item is no
    longer handed over."""
    handover = write(floor, ("customer", "退款回电", ""), ("customer", "明早开会", ""))
    refund, meeting = handover.items
    other = write(floor, ("customer", "丙组", ""), writer="lead_c", team="team_c")
    handovers.close_item(meeting, floor["lead_b"], meeting.version, floor["clock"].now)
    db.session.commit()
    with pytest.raises(StaleError):
        handovers.acknowledge(meeting, handover, floor["lead_b"], False, "", meeting.version)
    with pytest.raises(StaleError):
        handovers.acknowledge(other.items[0], handover, floor["lead_b"], False, "",
                              other.items[0].version)
    assert item_state(other.items[0])[0] == "pending"
    handovers.acknowledge(refund, handover, floor["lead_b"], False, "", refund.version)
    assert refund.ack_status == "acknowledged"


# --- sign -----------------------------------------------------------------------------------

def test_signing_with_items_left_is_refused_with_the_count(floor):
    """Rule: the incoming shift acknowledges each item; the lead signs the handover: with one
    item left (and with two) the signature is refused, at none it is taken."""
    handover = write(floor, ("customer", "退款回电", ""), ("equipment", "耳机", ""))
    first, second = handover.items
    for left in (2, 1):
        with pytest.raises(Refusal) as refused:
            handovers.sign(handover, floor["lead_b"], handover.version, floor["clock"].now)
        assert refused.value.field == "sign"
        assert refused.value.message == f"请先确认每一项再签收（还剩 {left} 项）。"
        assert (handover.signed_by_id, handover.signed_at) == (None, None)
        if left == 2:
            handovers.acknowledge(first, handover, floor["lead_b"], False, "", first.version)
    assert audits("handover.sign") == []
    handovers.acknowledge(second, handover, floor["lead_b"], False, "", second.version)
    handovers.sign(handover, floor["lead_b"], handover.version, floor["clock"].now)
    db.session.commit()
    db.session.expire_all()
    assert (handover.signed_by_id, handover.signed_at) == (floor["lead_b"].id,
                                                           floor["clock"].now)
    [row] = audits("handover.sign")
    check_audit(row, "handover.sign", floor["lead_b"], handover,
                {"signed_at": "2026-11-20T02:00:00+00:00"}, floor["clock"])


def test_an_item_asking_for_more_still_waits(floor):
    """Rule: the incoming shift acknowledges each item before the lead signs: a question is
    not an acknowledgment."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    handovers.acknowledge(item, handover, floor["lead_b"], True, "哪位客户？", item.version)
    with pytest.raises(Refusal) as refused:
        handovers.sign(handover, floor["lead_b"], handover.version, floor["clock"].now)
    assert refused.value.message == "请先确认每一项再签收（还剩 1 项）。"


def test_a_closed_item_needs_no_acknowledgment(floor):
    """Rule: open items carry forward until closed; a closed one is handed over no more, so it
    does not hold up the signature."""
    handover = write(floor, ("customer", "退款回电", ""), ("equipment", "耳机", ""))
    refund, headset = handover.items
    handovers.acknowledge(refund, handover, floor["lead_b"], False, "", refund.version)
    handovers.close_item(headset, floor["lead_b"], headset.version, floor["clock"].now)
    handovers.sign(handover, floor["lead_b"], handover.version, floor["clock"].now)
    assert handover.signed_by_id == floor["lead_b"].id


def test_a_carried_item_must_be_acknowledged_afresh_before_signing(floor):
    """Rule: open items carry forward: the next incoming lead acknowledges them too."""
    first = write(floor, ("customer", "退款回电", ""))
    receive_all(floor, first)
    second = write(floor)
    with pytest.raises(Refusal) as refused:
        handovers.sign(second, floor["lead_c"], second.version, floor["clock"].now)
    assert refused.value.message == "请先确认每一项再签收（还剩 1 项）。"
    receive_all(floor, second, who="lead_c")
    assert second.signed_by_id == floor["lead_c"].id


@pytest.mark.parametrize("who", ["lead_a", "agent", "qa"])
def test_only_the_incoming_side_signs(floor, who):
    """Rule: the (incoming) lead signs the handover: never its writer."""
    handover = write(floor)
    with pytest.raises(NotYourTurnError):
        handovers.sign(handover, floor[who], handover.version, floor["clock"].now)
    assert (handover.signed_by_id, handover.signed_at) == (None, None)
    assert audits("handover.sign") == []


@pytest.mark.parametrize("offset", [-1, 1])
def test_a_signature_on_another_version_is_stale(floor, offset):
    """SECURITY.md: "Concurrent changes ...: exactly one wins, the other gets 409"."""
    handover = write(floor)
    with pytest.raises(StaleError):
        handovers.sign(handover, floor["lead_b"], handover.version + offset, floor["clock"].now)
    assert handover.signed_at is None


def test_a_signed_handover_is_not_signed_again(floor):
    """Rule: the lead signs the handover, once."""
    handover = write(floor)
    handovers.sign(handover, floor["lead_b"], handover.version, floor["clock"].now)
    db.session.commit()
    floor["clock"].advance(minutes=5)
    with pytest.raises(StaleError):
        handovers.sign(handover, floor["lead_c"], handover.version, floor["clock"].now)
    assert handover.signed_by_id == floor["lead_b"].id
    assert len(audits("handover.sign")) == 1


# --- close ----------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["lead_b", "boss"])
def test_closing_an_item_stores_who_and_when(floor, who):
    """Rule: open items carry forward until the incoming lead closes them."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    floor["clock"].advance(hours=1)
    handovers.close_item(item, floor[who], item.version, floor["clock"].now)
    db.session.commit()
    assert item_state(item) == ("pending", "", None, floor["clock"].now, floor[who].id, 2)
    [row] = audits("handover.item_close")
    check_audit(row, "handover.item_close", floor[who], item,
                {"closed_at": "2026-11-20T03:00:00+00:00"}, floor["clock"])
    assert handovers.open_items(floor["team_a"].id) == []


@pytest.mark.parametrize("who", ["agent", "qa"])
def test_only_a_lead_or_supervisor_closes(floor, who):
    """Rule: the (incoming) lead closes open items: not an agent, not QA."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    before = item_state(item)
    with pytest.raises(NotYourTurnError):
        handovers.close_item(item, floor[who], item.version, floor["clock"].now)
    db.session.rollback()
    assert item_state(item) == before
    assert audits("handover.item_close") == []


def test_who_may_close_an_item(floor):
    """Rule (policy.can_close_handover_item): "Whoever may see the handover an open item is
    now listed on may close it": any lead or a supervisor while it waits for its signature;
    once signed, the writer's and the signer's side and supervisors; never an agent, QA or
    nobody signed in; a closed item by nobody."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    may = {who: policy.can_close_handover_item(floor[who], item, handover)
           for who in ("lead_a", "lead_b", "lead_c", "boss", "agent", "qa")}
    assert may == {"lead_a": True, "lead_b": True, "lead_c": True, "boss": True,
                   "agent": False, "qa": False}
    assert policy.can_close_handover_item(AnonymousUserMixin(), item, handover) is False
    receive_all(floor, handover)
    may = {who: policy.can_close_handover_item(floor[who], item, handover)
           for who in ("lead_a", "lead_b", "lead_c", "boss", "agent", "qa")}
    assert may == {"lead_a": True, "lead_b": True, "lead_c": False, "boss": True,
                   "agent": False, "qa": False}
    assert policy.can_close_handover_item(floor["boss"], item, None) is False
    handovers.close_item(item, floor["boss"], item.version, floor["clock"].now)
    db.session.commit()
    assert not any(policy.can_close_handover_item(floor[who], item, handover)
                   for who in ("lead_a", "lead_b", "boss"))


def test_a_lead_who_may_not_see_the_handover_does_not_close_its_item(floor):
    """Rule: whoever may see the handover an open item is now listed on may close it; the
    lead of a third team does not see a signed handover, so the item stays open."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    receive_all(floor, handover)
    before = item_state(item)
    with pytest.raises(NotYourTurnError):
        handovers.close_item(item, floor["lead_c"], item.version, floor["clock"].now)
    db.session.rollback()
    assert item_state(item) == before
    assert audits("handover.item_close") == []


@pytest.mark.parametrize("offset", [-1, 1])
def test_closing_another_version_is_stale(floor, offset):
    """SECURITY.md: "Concurrent changes ...: exactly one wins, the other gets 409"."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    with pytest.raises(StaleError):
        handovers.close_item(item, floor["lead_b"], item.version + offset, floor["clock"].now)
    assert item.closed_at is None


def test_a_closed_item_is_not_closed_again(floor):
    """Rule: an item is closed once; closing it again is stale, the first closing stays."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    handovers.close_item(item, floor["lead_b"], item.version, floor["clock"].now)
    db.session.commit()
    first_close = floor["clock"].now
    floor["clock"].advance(minutes=1)
    with pytest.raises(StaleError):
        handovers.close_item(item, floor["boss"], item.version, floor["clock"].now)
    assert (item.closed_at, item.closed_by_id) == (first_close, floor["lead_b"].id)


@pytest.mark.xfail(strict=True, reason="DESIGN.md: 'open items carry forward until the "
                                       "incoming lead closes them with a resolution note.'")
def test_an_item_is_closed_only_with_a_resolution_note(floor):
    """Rule: "open items carry forward until the incoming lead closes them with a resolution
    note": closing without a note is refused and the item stays open."""
    handover = write(floor, ("customer", "退款回电", ""))
    [item] = handover.items
    with pytest.raises(Refusal):
        handovers.close_item(item, floor["lead_b"], item.version, floor["clock"].now)
    db.session.rollback()
    assert item_state(item)[3] is None
