"""Irreversible actions in the browser: each click asks its question first.

Issue: "A browser test clicks each and sees the question first." Each case clicks the button
as its user would, declines the question, and sees nothing change; the evaluation is then
published by accepting it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.people import importer
from app.people.models import Team, User
from app.qa import calls, tokens
from app.qa.models import (
    Calibration,
    Evaluation,
    SamplingRule,
    ScorecardCategory,
    ScorecardItem,
    ScorecardVersion,
)
from app.staff import roster
from app.staff.models import (
    AwayRequest,
    Handover,
    HandoverItem,
    LeaveRequest,
    LeaveStatus,
    Shift,
    ShiftSwap,
)
from app.timeutil import center_today
from tests.e2e.test_leave_journey import PHONE
from tests.routes_helper import recorded_writes

pytestmark = pytest.mark.browser


@dataclass
class Click:
    """Who clicks which button on which page, and the words the question must hold.
    `prepare(page)` does what the person does first (open "Reject" and give a reason)."""

    name: str
    user: str
    path: str
    button: str | re.Pattern
    question: str
    scope: str = "main"
    prepare: Callable | None = None


def open_as(browser, live_server, username: str):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  storage_state=live_server.storage_state(browser, username))
    return context, context.new_page()


def asked(page, click: Click) -> str:
    """Click, decline the question, and return its words."""
    questions = []

    def decline(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.locator(click.scope).get_by_role("button", name=click.button, exact=True).first.click()
    page.wait_for_timeout(300)  # let a request that should not happen show itself
    return questions[0] if questions else ""


def _reject_with_reason(page) -> None:
    page.locator("main summary", has_text="驳回").first.click()
    page.locator("main textarea[name=reason]").first.fill("人手不足")


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def pages(app) -> list[Click]:
    """The issue's list, one case for each irreversible action of tests/test_confirm.py, on the
    demo center's own objects or on objects made here for the case."""
    now = datetime.now(UTC)
    with app.app_context():
        boss = db.session.scalar(select(User).where(User.username == "supervisor"))
        draft = db.session.scalar(select(Evaluation).join(User, Evaluation.reviewer_id == User.id)
                                  .where(User.username == "qa1", Evaluation.status == "draft",
                                         Evaluation.calibration_id.is_(None)).limit(1))
        agent = db.session.scalar(select(User).where(User.username == "agent03"))
        lead = agent.team.lead
        waiting = db.session.scalar(select(LeaveRequest).where(
            LeaveRequest.status == LeaveStatus.PENDING_LEAD).limit(1))
        swap = db.session.scalar(select(ShiftSwap).where(
            ShiftSwap.status == "pending_counterpart").limit(1))
        on_probation = db.session.scalar(select(User).where(
            User.probation_until > center_today(), User.status == "active").limit(1))
        rule = _add(SamplingRule(name="浏览器草稿", scope="all", status="draft",
                                 first_day=center_today() + timedelta(days=5)))
        away = _add(AwayRequest(user_id=agent.id, team_id=agent.team_id, status="requested",
                                requested_at=now))
        quiet_team = _add(Team(name="浏览器交接一组"))  # no open items carried into it
        to_sign = _add(Handover(team_id=quiet_team.id, day=center_today(), shift_label="早班",
                                written_by_id=lead.id, notes="一切正常"))
        other_team = _add(Team(name="浏览器交接二组"))
        with_item = _add(Handover(team_id=other_team.id, day=center_today(),
                                  shift_label="早班", written_by_id=lead.id, notes="一切正常"))
        item = _add(HandoverItem(handover_id=with_item.id, team_id=other_team.id,
                                 kind="customer", details="下午回访客户", contact="王先生"))
        shift = _add(Shift(user_id=agent.id, day=center_today() + timedelta(days=9),
                           starts_at=now + timedelta(days=9), ends_at=now + timedelta(days=9,
                                                                                     hours=8),
                           label="早班", created_by_id=lead.id))
        later = (center_today() + timedelta(days=30)).isoformat()
        shifts_batch = roster.SPEC.store("roster.csv", [{
            "employee_no": agent.employee_no, "day": later, "start": "09:00", "end": "17:00",
            "label": "早班"}], boss)
        people_batch = importer.SPEC.store("people.csv", [{
            "employee_no": "CF7001", "name": "孙丽", "username": "sunli_browser", "phone": "",
            "role": "座席员", "team": agent.team.name, "grade": "普通",
            "hire_date": center_today().isoformat(), "probation_until": ""}], boss)
        calls_batch = calls.SPEC.store("calls.csv", [{
            "serial_no": "BROWSER-0001", "employee_no": agent.employee_no,
            "started_at": f"{center_today() - timedelta(days=40)} 09:30:00",  # calls are past
            "duration_s": "120", "direction": "in"}], boss)
        card_id = db.session.scalar(select(ScorecardVersion.scorecard_id).limit(1))
        card_item = db.session.scalar(
            select(ScorecardItem).join(ScorecardCategory).join(ScorecardVersion)
            .where(ScorecardVersion.scorecard_id == card_id)
            .order_by(ScorecardVersion.number.desc(), ScorecardItem.id).limit(1))
        calibration = _add(Calibration(call_id=draft.call_id,
                                       scorecard_version_id=draft.scorecard_version_id,
                                       created_by_id=boss.id))
        token, _plain = tokens.create("浏览器令牌", boss, now)
        db.session.flush()
        found = [
            Click("publish evaluation", "qa1", f"/evaluations/{draft.id}", "发布", "发布这份评分"),
            Click("publish rule", "qa1", f"/sampling-rules/{rule.id}", "发布", "发布这条标准"),
            Click("approve leave", waiting.user.team.lead.username, f"/leave/{waiting.id}", "批准",
                  "批准这项申请"),
            Click("refuse leave", waiting.user.team.lead.username, f"/leave/{waiting.id}",
                  "驳回申请", "驳回这项申请", prepare=_reject_with_reason),
            Click("withdraw leave", waiting.user.username, f"/leave/{waiting.id}", "撤回申请",
                  "撤回这项申请"),
            Click("withdraw swap", swap.requester.username, f"/swaps/{swap.id}", "撤回申请",
                  "撤回这项申请"),
            Click("allow away", lead.username, "/away", "批准", "批准这项申请",
                  scope=f"#away-{away.id}"),
            Click("refuse away", lead.username, "/away", "不批准", "驳回这项申请",
                  scope=f"#away-{away.id}"),
            Click("sign handover", "supervisor", f"/handovers/{to_sign.id}", "签收交接班",
                  "签署这份交接"),
            Click("close handover item", "supervisor", f"/handovers/{with_item.id}",
                  "关闭该事项", "关闭这一项", scope=f"#item-{item.id}"),
            Click("delete shift", "supervisor",
                  f"/shifts/week?team={agent.team_id}&week={shift.day.isoformat()}&edit=1",
                  re.compile(r"^删除.*的班次$"), "删除这个班次", scope=".week-delete"),
            Click("apply roster", "supervisor", f"/shifts/import/{shifts_batch.id}",
                  "导入 1 个班次", "导入 1 个班次"),
            Click("apply people import", "supervisor", f"/people/import/{people_batch.id}",
                  "导入 1 人", "导入 1 人"),
            Click("apply call log", "supervisor", f"/calls/import/{calls_batch.id}",
                  "导入 1 通录音记录", "导入 1 通"),
            Click("deactivate person", "supervisor", f"/people/{agent.id}", "标记为离职",
                  "标记此人已离职"),
            Click("reset password", "supervisor", f"/people/{agent.id}", "重置密码",
                  "一次性密码"),
            Click("end probation", "supervisor", f"/people/{on_probation.id}", "提前转正",
                  "结束此人的试用期"),
            Click("close calibration", "supervisor", f"/calibrations/{calibration.id}",
                  "结束本轮校准", "结束本轮校准"),
            Click("revoke token", "supervisor", "/api-tokens", "吊销", "吊销这个令牌",
                  scope=f"#token-{token.id}"),
            Click("remove scorecard item", "supervisor", f"/scorecards/{card_id}",
                  "删除扣分项", "去掉这一项", scope=f"#item-{card_item.id}",
                  prepare=lambda page, item=card_item.id: page.locator(
                      f"#item-{item} summary").click()),
        ]
        db.session.commit()
        db.session.remove()
    return found


def test_each_irreversible_click_asks_first_and_no_changes_nothing(browser, live_server,
                                                                    screenshot):
    """Each of the issue's irreversible actions, clicked as its user would: the question
    comes first, with no user text in it, and "no" sends nothing that writes."""
    for click in pages(live_server.app):
        context, page = open_as(browser, live_server, click.user)
        page.goto(live_server.url + click.path)
        if click.prepare is not None:
            click.prepare(page)
        with live_server.app.app_context(), recorded_writes() as writes:
            question = asked(page, click)
        assert click.question in question, (click.name, question)
        assert "{{" not in question and not re.search(r"%\(\w+\)", question)
        assert page.url.endswith(click.path), click.name  # declined: still here
        assert writes == [], (click.name, writes)
        context.close()


def test_publishing_an_evaluation_is_asked_then_done(browser, live_server, screenshot):
    with live_server.app.app_context():
        draft = db.session.scalar(select(Evaluation).join(User, Evaluation.reviewer_id == User.id)
                                  .where(User.username == "qa1", Evaluation.status == "draft",
                                         Evaluation.calibration_id.is_(None))
                                  .order_by(Evaluation.id.desc()).limit(1))
        draft_id = draft.id
        db.session.remove()
    context, page = open_as(browser, live_server, "qa1")
    page.goto(f"{live_server.url}/evaluations/{draft_id}")
    questions = []

    def decline(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.get_by_role("button", name="发布", exact=True).click()
    page.wait_for_timeout(300)
    assert questions and "发布这份评分" in questions[0]
    with live_server.app.app_context():
        assert db.session.get(Evaluation, draft_id).status == "draft"  # declined: nothing
        db.session.remove()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator(".tag").first).to_contain_text("已发布")
    screenshot(page, "confirm-publish-evaluation")
    with live_server.app.app_context():
        assert db.session.get(Evaluation, draft_id).status == "published"
        db.session.remove()
    context.close()
