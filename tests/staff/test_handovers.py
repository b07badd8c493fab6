"""Shift handovers through the pages: write, add rows, acknowledge, sign, carry forward, close."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.staff import handovers, policy
from app.staff.models import Handover, HandoverItem
from tests.conftest import HX, HX_BOOSTED, csrf_from, login, post_form

DAY = date(2026, 11, 20)


@pytest.fixture
def floor(app, make_user, make_team, clock):
    """Day team A (lead_a) hands over to night team B (lead_b); team C's lead is a bystander."""
    lead_a = make_user(role="lead", name="早班组长")
    lead_b = make_user(role="lead", name="晚班组长")
    lead_c = make_user(role="lead", name="丙组长")
    team_a, team_b = make_team("早班组", lead=lead_a), make_team("晚班组", lead=lead_b)
    team_c = make_team("丙组", lead=lead_c)
    return {"lead_a": lead_a, "lead_b": lead_b, "lead_c": lead_c, "team_a": team_a,
            "team_b": team_b, "team_c": team_c, "boss": make_user(role="supervisor"),
            "agent": make_user(team=team_a), "clock": clock}


def signed_in(app, user):
    client = app.test_client()
    assert login(client, user.username).status_code == 303
    return client


def form_data(team, *items, notes="", day="2026-11-20"):
    data = {"team_id": team.id, "day": day, "shift_label": "早班", "notes": notes}
    for n, (kind, details, contact) in enumerate(items):
        data.update({f"items-{n}-kind": kind, f"items-{n}-details": details,
                     f"items-{n}-contact": contact})
    return data


def write(floor, *items, writer="lead_a", team="team_a") -> Handover:
    handover = handovers.write(floor[team], floor[writer], DAY, "早班", "", list(items),
                               floor["clock"].now)
    db.session.commit()
    return handover


def ack(client, handover, item, decision="ack", note="", headers=None, version=None):
    db.session.expire_all()
    item = db.session.get(HandoverItem, item.id)
    token = csrf_from(client.get(f"/handovers/{handover.id}").text)
    return client.post(f"/handovers/{handover.id}/items/{item.id}/ack", headers=headers or {},
                       data={"csrf_token": token, "decision": decision, "note": note,
                             "version": item.version if version is None else version})


def test_the_outgoing_lead_writes_a_handover_with_several_items(app, floor):
    lead = signed_in(app, floor["lead_a"])
    page = lead.get("/handovers/new")
    assert page.status_code == 200
    for n in range(3):
        assert f'name="items-{n}-kind"' in page.text
    assert "未完结客户事项" in page.text and "上级指示" in page.text and "设备故障" in page.text
    response = post_form(lead, "/handovers/new", form_data(
        floor["team_a"], ("customer", "王先生的退款还没到账，答应今晚回电", "王先生 13900001111"),
        ("", "", ""), ("equipment", "7 号座席耳机有杂音", "")), token_page="/handovers/new")
    assert response.status_code == 303
    handover = db.session.scalar(select(Handover))
    assert response.headers["Location"] == f"/handovers/{handover.id}"
    assert response.headers["HX-Trigger"] == "pending-changed"
    assert [(i.kind, i.contact) for i in handover.items] == [
        ("customer", "王先生 13900001111"), ("equipment", "")]
    assert handover.team_id == floor["team_a"].id and handover.written_by_id == floor["lead_a"].id


@pytest.mark.parametrize(("row", "field", "message"), [
    (("customer", "", "王先生"), "items-0-details", "详情"),
    (("", "耳机坏了", ""), "items-0-kind", "类别"),
])
def test_a_half_filled_row_is_explained_beside_its_field(app, floor, row, field, message):
    lead = signed_in(app, floor["lead_a"])
    response = post_form(lead, "/handovers/new", form_data(floor["team_a"], row),
                         token_page="/handovers/new")
    assert response.status_code == 422
    assert message in response.text.split(f'id="{field}-error"')[1].split("</small>")[0]
    assert db.session.scalar(select(func.count(Handover.id))) == 0


def test_a_lead_writes_only_for_the_team_they_lead(app, floor):
    lead = signed_in(app, floor["lead_a"])
    page = lead.get("/handovers/new").text
    assert "早班组" in page and "晚班组" not in page.split('id="team_id"')[1].split("</select>")[0]
    response = post_form(lead, "/handovers/new", form_data(floor["team_b"]),
                         token_page="/handovers/new")
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Handover.id))) == 0


def test_add_another_item_with_htmx_and_without(app, floor):
    lead = signed_in(app, floor["lead_a"])
    page = lead.get("/handovers/new").text
    assert 'hx-get="/handovers/new?row=3"' in page
    row = lead.get("/handovers/new?row=3", headers={**HX, "HX-Target": "handover-rows"})
    assert row.status_code == 200 and "<html" not in row.text
    assert 'name="items-3-kind"' in row.text and 'name="items-2-kind"' not in row.text
    assert 'hx-swap-oob="true"' in row.text and 'hx-get="/handovers/new?row=4"' in row.text
    last = lead.get("/handovers/new?row=20", headers={**HX, "HX-Target": "handover-rows"})
    assert "items-20" not in last.text and "最多 20 项" in last.text
    # Without JavaScript the button posts the form, which comes back one row longer.
    response = post_form(lead, "/handovers/new", {**form_data(
        floor["team_a"], ("customer", "回电", ""), ("", "", ""), ("", "", "")),
        "add_row": "1"}, token_page="/handovers/new")
    assert response.status_code == 200
    assert 'name="items-3-kind"' in response.text and "回电" in response.text
    assert db.session.scalar(select(func.count(Handover.id))) == 0
    # A fourth row added by htmx is saved with the others.
    data = form_data(floor["team_a"], ("customer", "一", ""), ("", "", ""), ("", "", ""),
                     ("instruction", "四", "主管"))
    assert post_form(lead, "/handovers/new", data,
                     token_page="/handovers/new").status_code == 303
    assert [i.details for i in db.session.scalar(select(Handover)).items] == ["一", "四"]


def test_the_incoming_lead_acknowledges_each_item_then_signs(app, floor):
    handover = write(floor, ("customer", "退款回电", "王先生"), ("equipment", "耳机杂音", ""))
    first, second = handover.items
    incoming = signed_in(app, floor["lead_b"])
    home = incoming.get("/handovers").text
    assert f"/handovers/{handover.id}" in home and "待您签收" in home
    page = incoming.get(f"/handovers/{handover.id}").text
    assert page.count(">确认</button>") == 2
    assert re.search(r"<button type=\"button\" disabled aria-describedby=\"sign-why\">", page)
    assert "还有 2 项未确认" in page

    answer = ack(incoming, handover, first, headers={**HX, "HX-Target": f"item-{first.id}"})
    assert answer.status_code == 200 and "<html" not in answer.text
    assert f'id="item-{first.id}"' in answer.text and "已确认" in answer.text
    assert 'id="handover-sign" class="handover-sign" aria-live="polite" hx-swap-oob="true"' in \
        answer.text
    assert "还有 1 项未确认" in answer.text

    more = ack(incoming, handover, second, "more", "", {**HX, "HX-Target": f"item-{second.id}"})
    assert more.status_code == 422
    assert "请说明还需要了解哪些情况" in more.text.split(f'id="item-{second.id}-note-error"')[1]
    more = ack(incoming, handover, second, "more", "哪台电脑？")
    assert more.status_code == 303
    db.session.refresh(second)
    assert second.ack_status == "needs_more" and second.ack_note == "哪台电脑？"
    early = post_form(incoming, f"/handovers/{handover.id}/sign", {"version": handover.version},
                      token_page=f"/handovers/{handover.id}")
    assert early.status_code == 422 and "还剩 1 项" in early.text
    db.session.refresh(handover)
    assert handover.signed_at is None

    assert ack(incoming, handover, second).status_code == 303
    page = incoming.get(f"/handovers/{handover.id}").text
    assert f'action="/handovers/{handover.id}/sign"' in page and "sign-why" not in page
    signed = post_form(incoming, f"/handovers/{handover.id}/sign", {"version": handover.version},
                       token_page=f"/handovers/{handover.id}")
    assert signed.status_code == 303 and signed.headers["HX-Trigger"] == "pending-changed"
    db.session.refresh(handover)
    assert handover.signed_by_id == floor["lead_b"].id and handover.signed_at is not None
    assert "晚班组长" in incoming.get(f"/handovers/{handover.id}").text


def test_the_writer_cannot_receive_their_own_handover(app, floor):
    handover = write(floor, ("customer", "退款回电", ""))
    writer = signed_in(app, floor["lead_a"])
    page = writer.get(f"/handovers/{handover.id}").text
    assert ">确认</button>" not in page and f"/handovers/{handover.id}/sign" not in page
    assert "等待接班组长" in page
    assert ack(writer, handover, handover.items[0]).status_code == 403
    assert post_form(writer, f"/handovers/{handover.id}/sign",
                     {"version": handover.version}).status_code == 403


def test_scope(app, floor):
    handover = write(floor, ("customer", "退款回电", ""))
    agent = signed_in(app, floor["agent"])
    assert agent.get("/handovers").status_code == 403
    assert agent.get(f"/handovers/{handover.id}").status_code == 403
    bystander = signed_in(app, floor["lead_c"])
    # Unsigned: any lead may be the incoming one.
    assert bystander.get(f"/handovers/{handover.id}").status_code == 200
    handovers.acknowledge(handover.items[0], handover, floor["lead_b"], False, "",
                          handover.items[0].version)
    handovers.sign(handover, floor["lead_b"], handover.version, floor["clock"].now)
    db.session.commit()
    # Signed: team A's, its writer's and its signer's business only.
    assert bystander.get(f"/handovers/{handover.id}").status_code == 404
    assert post_form(bystander, f"/handovers/items/{handover.items[0].id}/close",
                     {"version": handover.items[0].version}).status_code == 404
    assert f"/handovers/{handover.id}" not in bystander.get("/handovers").text
    for who in ("lead_a", "lead_b", "boss"):
        assert signed_in(app, floor[who]).get(f"/handovers/{handover.id}").status_code == 200
    assert signed_in(app, floor["lead_a"]).get("/handovers/99999").status_code == 404
    for user in (floor["lead_a"], floor["lead_b"], floor["lead_c"], floor["boss"]):
        visible = set(db.session.scalars(policy.visible_handovers(user, select(Handover.id))))
        assert visible == ({handover.id} if policy.can_see_handover(user, handover) else set())


def test_an_item_of_another_team_is_not_found_on_this_handover(app, floor):
    ours = write(floor, ("customer", "一", ""))
    theirs = write(floor, ("customer", "二", ""), writer="lead_c", team="team_c")
    incoming = signed_in(app, floor["lead_b"])
    assert ack(incoming, ours, theirs.items[0]).status_code == 404


def test_open_items_carry_forward_until_closed(app, floor):
    first = write(floor, ("customer", "退款回电", "王先生"), ("instruction", "明早开会", "主管"))
    refund, meeting = first.items
    for item in first.items:
        handovers.acknowledge(item, first, floor["lead_b"], False, "", item.version)
    handovers.sign(first, floor["lead_b"], first.version, floor["clock"].now)
    db.session.commit()

    lead_a = signed_in(app, floor["lead_a"])
    form = lead_a.get("/handovers/new").text
    carried = form.split('id="carried"')[1]
    assert "退款回电" in carried and "明早开会" in carried
    listing = lead_a.get("/handovers").text
    assert "本组未关闭的事项" in listing and "退款回电" in listing

    token = csrf_from(form)
    closed = lead_a.post(f"/handovers/items/{meeting.id}/close",
                         headers={**HX, "HX-Target": f"item-{meeting.id}"},
                         data={"csrf_token": token, "version": meeting.version,
                               "confirmed": "yes"})
    assert closed.status_code == 200 and "<html" not in closed.text and "已关闭" in closed.text
    assert "hx-swap-oob" not in closed.text  # not closed from a handover's page
    db.session.refresh(meeting)
    assert meeting.closed_by_id == floor["lead_a"].id

    written = post_form(lead_a, "/handovers/new",
                        form_data(floor["team_a"], ("equipment", "耳机", "")),
                        token_page="/handovers/new")
    assert written.status_code == 303
    second = db.session.scalar(select(Handover).order_by(Handover.id.desc()))
    incoming = signed_in(app, floor["lead_b"])
    page = incoming.get(f"/handovers/{second.id}").text
    assert "退款回电" in page and "明早开会" not in page and "耳机" in page
    assert "还有 2 项未确认" in page  # the carried item is acknowledged afresh
    # Closing an item from the handover's page redraws the signature too.
    db.session.refresh(refund)
    closed = incoming.post(f"/handovers/items/{refund.id}/close",
                           headers={**HX, "HX-Target": f"item-{refund.id}"},
                           data={"csrf_token": csrf_from(page), "version": refund.version,
                                 "handover": second.id, "confirmed": "yes"})
    assert closed.status_code == 200 and "还有 1 项未确认" in closed.text
    again = incoming.post(f"/handovers/items/{refund.id}/close",
                          data={"csrf_token": csrf_from(page), "version": refund.version,
                                "confirmed": "yes"})
    assert again.status_code == 409
    assert handovers.open_items(floor["team_a"].id) == second.items


def test_a_stale_acknowledgment_is_409(app, floor):
    handover = write(floor, ("customer", "退款回电", ""))
    item = handover.items[0]
    seen = item.version
    incoming = signed_in(app, floor["lead_b"])
    assert ack(incoming, handover, item).status_code == 303
    assert ack(incoming, handover, item, "more", "再说说", version=seen).status_code == 409
    db.session.refresh(item)
    assert item.ack_status == "acknowledged"


def test_history_per_team_and_the_supervisors_filter(app, floor):
    a = write(floor, ("customer", "一", ""))
    c = write(floor, ("customer", "二", ""), writer="lead_c", team="team_c")
    for handover in (a, c):
        for item in handover.items:
            handovers.acknowledge(item, handover, floor["lead_b"], False, "", item.version)
        handovers.sign(handover, floor["lead_b"], handover.version, floor["clock"].now)
    db.session.commit()
    lead_a = signed_in(app, floor["lead_a"]).get("/handovers").text
    assert f"/handovers/{a.id}" in lead_a and f"/handovers/{c.id}" not in lead_a
    assert 'name="team"' not in lead_a
    boss = signed_in(app, floor["boss"])
    both = boss.get("/handovers").text
    assert f"/handovers/{a.id}" in both and f"/handovers/{c.id}" in both
    only_c = boss.get(f"/handovers?team={floor['team_c'].id}",
                      headers={**HX, "HX-Target": "results"})
    assert "<html" not in only_c.text
    assert f"/handovers/{c.id}" in only_c.text and f"/handovers/{a.id}" not in only_c.text
    assert "<html" in boss.get("/handovers", headers=HX_BOOSTED).text
    nonsense = boss.get("/handovers?team=abc").text
    assert f"/handovers/{a.id}" in nonsense and f"/handovers/{c.id}" in nonsense
