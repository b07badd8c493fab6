"""Irreversible actions in the browser: each click asks its question first.

Issue: "A browser test clicks each and sees the question first." Each case clicks the button
as its user would, declines the question, and sees nothing change; the evaluation is then
published by accepting it.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.people.models import User
from app.qa.models import Evaluation, SamplingRule
from app.staff.models import LeaveRequest, LeaveStatus
from app.timeutil import center_today
from tests.e2e.test_leave_journey import PHONE

pytestmark = pytest.mark.browser


@dataclass
class Click:
    """Who clicks which button on which page, and the words the question must hold."""

    name: str
    user: str
    path: str
    button: str
    question: str
    model: type
    object_id: int
    field: str = "status"  # what the action would change
    scope: str = "main"

    def status(self, app) -> str:
        """The field the action would change, as the database holds it now."""
        with app.app_context():
            found = getattr(db.session.get(self.model, self.object_id), self.field)
            db.session.remove()
        return str(found)


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


def pages(app) -> list[Click]:
    """The cases, on the demo center's own objects."""
    with app.app_context():
        draft = db.session.scalar(select(Evaluation).join(User, Evaluation.reviewer_id == User.id)
                                  .where(User.username == "qa1", Evaluation.status == "draft",
                                         Evaluation.calibration_id.is_(None)).limit(1))
        agent = db.session.scalar(select(User).where(User.username == "agent03"))
        waiting = db.session.scalar(select(LeaveRequest).where(
            LeaveRequest.status == LeaveStatus.PENDING_LEAD).limit(1))
        rule = SamplingRule(name="浏览器草稿", scope="all", first_day=center_today()
                            + timedelta(days=5), status="draft")
        db.session.add(rule)
        db.session.commit()
        found = [
            Click("publish evaluation", "qa1", f"/evaluations/{draft.id}", "发布", "发布这份评分",
                  Evaluation, draft.id),
            Click("publish rule", "qa1", f"/sampling-rules/{rule.id}", "发布", "发布这条标准",
                  SamplingRule, rule.id),
            Click("deactivate person", "supervisor", f"/people/{agent.id}", "标记为离职",
                  "标记此人已离职", User, agent.id),
        ]
        if waiting is not None:
            found.append(Click("approve leave", waiting.user.team.lead.username,
                               f"/leave/{waiting.id}", "批准", "批准这项申请", LeaveRequest,
                               waiting.id))
            found.append(Click("withdraw leave", waiting.user.username, f"/leave/{waiting.id}",
                               "撤回申请", "撤回这项申请", LeaveRequest, waiting.id))
        found.append(Click("reset password", "supervisor", f"/people/{agent.id}", "重置密码",
                           "一次性密码", User, agent.id, "password_hash"))
        on_probation = db.session.scalar(select(User).where(
            User.probation_until > center_today(), User.status == "active").limit(1))
        if on_probation is not None:
            found.append(Click("end probation", "supervisor", f"/people/{on_probation.id}",
                               "提前转正", "结束此人的试用期", User, on_probation.id,
                               "probation_until"))
        db.session.remove()
    return found


def test_each_irreversible_click_asks_first_and_no_changes_nothing(browser, live_server,
                                                                    screenshot):
    for click in pages(live_server.app):
        context, page = open_as(browser, live_server, click.user)
        page.goto(live_server.url + click.path)
        before = click.status(live_server.app)
        question = asked(page, click)
        assert click.question in question, (click.name, question)
        assert "{{" not in question and not re.search(r"%\(\w+\)", question)
        assert page.url.endswith(click.path)  # declined: still here, nothing posted
        assert click.status(live_server.app) == before, click.name
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
