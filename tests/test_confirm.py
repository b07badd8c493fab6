"""Every irreversible action is asked first, and the server holds to it.

Issue: "Every irreversible action (publish an evaluation or a rule, approve, decide, deactivate)
needs a confirmation field in its POST. The htmx path sends it after `hx-confirm`. A page
without JavaScript gets a confirmation page first. Confirmation texts hold no user text. A test
posts each irreversible action without the field and sees nothing change."

Each case below is posted twice on a fresh copy of the same world: without `confirmed=yes`
(the question comes back and no row of any table changes) and with it (the action happens,
so the audit trail grows): both sides of the rule.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.routes_helper import (
    World,
    away_request,
    calibration_round,
    calls_batch,
    changed_tables,
    copy_seed,
    csrf_token,
    draft_evaluation,
    make_seed,
    open_handover,
    open_world,
    pending_leave,
    pending_swap,
    roster_batch,
    scorecard,
    shift_of,
    sign_in,
    snapshot,
)
from tests.routes_helper import (
    api_token as make_token,
)


@dataclass
class Case:
    """One irreversible action: who takes it, where it posts, with what, and the words of its
    question (in Chinese, the default language)."""

    name: str
    role: str
    url: Callable[[World], str]
    data: Callable[[World], dict]
    question: str
    happens: bool = True  # whether the confirmed post succeeds in this world


def _version(obj) -> dict:
    return {"version": obj.version}


def _draft_rule(world: World):
    from app.qa.models import SamplingRule

    rule = SamplingRule(name="草稿", scope="all", first_day=date(2099, 1, 1), status="draft",
                        created_by_id=world.ids["qa"])
    db.session.add(rule)
    db.session.commit()
    return rule


CASES = [
    Case("approve leave", "lead",
         lambda w: f"/leave/{w.once('leave', pending_leave).id}/decide",
         lambda w: {**_version(w.once("leave", pending_leave)), "decision": "approve"},
         "批准这项申请"),
    Case("refuse leave", "lead",
         lambda w: f"/leave/{w.once('leave', pending_leave).id}/decide",
         lambda w: {**_version(w.once("leave", pending_leave)), "decision": "reject",
                    "reason": "人手不足"},
         "驳回这项申请"),
    Case("withdraw leave", "agent",
         lambda w: f"/leave/{w.once('leave', pending_leave).id}/withdraw",
         lambda w: _version(w.once("leave", pending_leave)), "撤回这项申请"),
    Case("withdraw swap", "agent",
         lambda w: f"/swaps/{w.once('swap', pending_swap).id}/withdraw",
         lambda w: _version(w.once("swap", pending_swap)), "撤回这项申请"),
    Case("allow away", "lead",
         lambda w: f"/away/{w.once('away', away_request).id}/decide",
         lambda w: {**_version(w.once("away", away_request)), "decision": "allow"},
         "批准这项申请"),
    Case("sign handover", "lead",
         lambda w: f"/handovers/{w.once('handover', open_handover).id}/sign",
         lambda w: _version(w.once("handover", open_handover)), "签署这份交接",
         happens=False),  # an item still waits for acknowledgement
    Case("close handover item", "lead",
         lambda w: f"/handovers/items/{w.once('handover', open_handover).items[0].id}/close",
         lambda w: _version(w.once("handover", open_handover).items[0]), "关闭这一项"),
    Case("delete shift", "supervisor",
         lambda w: f"/shifts/{w.once('shift', shift_of('agent')).id}/delete", lambda w: {},
         "删除这个班次"),
    Case("apply roster", "supervisor",
         lambda w: f"/shifts/import/{w.once('roster', roster_batch).id}", lambda w: {},
         "导入已检查的行"),
    Case("deactivate person", "supervisor",
         lambda w: f"/people/{w.ids['target']}/deactivate", lambda w: {}, "标记此人已离职"),
    Case("end probation", "supervisor",
         lambda w: f"/people/{w.ids['target']}/confirm", lambda w: {}, "结束此人的试用期"),
    Case("reset password", "supervisor",
         lambda w: f"/people/{w.ids['target']}/reset-password", lambda w: {},
         "一次性密码"),
    Case("apply people import", "supervisor",
         lambda w: f"/people/import/{w.ids['batch']}", lambda w: {}, "导入已检查的行"),
    Case("publish rule", "qa",
         lambda w: f"/sampling-rules/{w.once('draft rule', _draft_rule).id}/publish",
         lambda w: _version(w.once("draft rule", _draft_rule)), "发布这条标准"),
    Case("publish evaluation", "qa",
         lambda w: f"/evaluations/{w.once('evaluation', draft_evaluation).id}",
         lambda w: {**_version(w.once("evaluation", draft_evaluation)), "publish": "1"},
         "发布这份评分"),
    Case("close calibration", "supervisor",
         lambda w: f"/calibrations/{w.once('calibration', calibration_round).id}/close",
         lambda w: {}, "结束本轮校准", happens=False),  # nobody has submitted yet
    Case("revoke token", "supervisor",
         lambda w: f"/api-tokens/{w.once('token', make_token).id}/revoke", lambda w: {},
         "吊销这个令牌"),
    Case("remove scorecard item", "supervisor",
         lambda w: f"/scorecards/items/{w.once('scorecard', scorecard).versions[0].items[0].id}"
                   "/remove", lambda w: {}, "去掉这一项"),
    Case("apply call log", "supervisor",
         lambda w: f"/calls/import/{w.once('calls', calls_batch).id}", lambda w: {},
         "导入已检查的行"),
]


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return make_seed(tmp_path_factory.mktemp("seed"))


@pytest.fixture(autouse=True)
def seeded(seed, tmp_path):
    copy_seed(seed, tmp_path)


@pytest.fixture
def world(app, seed):
    return open_world(app, seed)


def post(client, world: World, case: Case, **extra):
    url = case.url(world)
    data = {**case.data(world), "csrf_token": csrf_token(client, world, case.role), **extra}
    return client.post(url, data=data)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_without_the_answer_the_question_comes_back_and_nothing_changes(app, world, case):
    client = app.test_client()
    sign_in(client, world, case.role)
    url = case.url(world)  # makes the objects before the snapshot
    before = snapshot()
    response = post(client, world, case)
    assert response.status_code == 200, response.text[:300]
    assert case.question in response.text
    # the same form again, with the answer
    assert re.search(r'name="confirmed" value="yes"', response.text)
    assert f'action="{url}' in response.text
    assert changed_tables(before, snapshot()) == []


@pytest.mark.parametrize("case", [c for c in CASES if c.happens],
                         ids=[c.name for c in CASES if c.happens])
def test_with_the_answer_the_action_happens(app, world, case):
    from app.audit import AuditEvent

    client = app.test_client()
    sign_in(client, world, case.role)
    case.url(world)
    events = db.session.scalar(select(db.func.count(AuditEvent.id)))
    db.session.rollback()
    response = post(client, world, case, confirmed="yes")
    assert response.status_code in (200, 303), response.text[:300]
    assert db.session.scalar(select(db.func.count(AuditEvent.id))) > events


def test_the_question_page_posts_the_form_again_and_offers_a_way_back(app, world):
    """A page without JavaScript: the question page carries the fields that were sent, and
    "no" goes back to the page the form was on."""
    client = app.test_client()
    sign_in(client, world, "lead")
    leave = world.once("leave", pending_leave)
    token = csrf_token(client, world, "lead")
    response = client.post(f"/leave/{leave.id}/decide", data={
        "csrf_token": token, "version": leave.version, "decision": "reject",
        "reason": "人手不足"}, headers={"Referer": "http://localhost/leave"})
    assert 'name="decision" value="reject"' in response.text
    assert 'name="reason" value="人手不足"' in response.text
    assert 'href="/leave"' in response.text
    elsewhere = client.post(f"/leave/{leave.id}/decide", data={
        "csrf_token": token, "version": leave.version, "decision": "approve"},
        headers={"Referer": "https://evil.example/phish"})
    assert "evil.example" not in elsewhere.text


def test_no_confirmation_question_holds_user_text():
    """Issue: "Confirmation texts hold no user text": no hx-confirm and no data-confirm in a
    template formats a variable into its question."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    found = []
    for path in root.rglob("*.html"):
        for line in path.read_text("utf-8").splitlines():
            for question in re.findall(r'(?:hx-confirm|data-confirm)="(\{\{.*?\}\})"', line):
                if "," in question or "%(" in question:
                    found.append(f"{path.name}: {question}")
            for question in re.findall(r"confirm\((_\(.*?\))\)", line):
                if "%(" in question:
                    found.append(f"{path.name}: {question}")
    assert found == []
