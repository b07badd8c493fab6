"""The quality journey: a reviewer scores a sampled call at 1366×768; the agent reads the
evaluation and its "why this call" page on a phone."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from app.qa.models import Call, Deduction, Evaluation, SampleDraw
from tests.e2e.test_leave_journey import PHONE, no_overflow, sign_in

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1366, "height": 768}


def test_reviewer_scores_a_sampled_call_and_the_agent_reads_why(browser, live_server,
                                                                screenshot):
    with live_server.app.app_context():
        # The demo leaves some of the newest drawn day to do: yesterday, or the day before
        # just after midnight, while yesterday is not finished.
        day = db.session.scalar(select(func.max(SampleDraw.day))).isoformat()
        db.session.remove()
    context, page = sign_in(browser, live_server, "qa1", DESKTOP)
    page.goto(f"{live_server.url}/qa/queue?day={day}")
    expect(page.locator("#queue-progress")).to_be_visible()
    screenshot(page, "quality-journey-1-queue")
    todo = page.locator("li.pending-item", has_text="待评分").first
    todo.locator("header a").click()
    expect(page.locator("audio")).to_have_count(1)
    serial = page.locator("h1").inner_text()
    page.get_by_role("button", name="为这通录音评分").click()
    expect(page.locator("#evaluation-total")).to_have_text("100")
    page.locator(".deduction input[type=checkbox]").first.check()
    expect(page.locator("#evaluation-total")).not_to_have_text("100")  # updated, not saved
    total = page.locator("#evaluation-total").inner_text()
    note = page.locator(".deduction-detail input").first
    note.fill("开场白未报工号")
    no_overflow(page)
    screenshot(page, "quality-journey-2-form")
    page.get_by_role("button", name="保存草稿").click()  # a draft first, then publish
    expect(page.locator(".flash")).to_contain_text("草稿已保存")
    page.get_by_role("button", name="发布").click()
    expect(page.locator(".tag").first).to_contain_text("已发布")
    expect(page.locator(".score-line")).to_contain_text(total)
    evaluation_url = page.url
    context.close()

    with live_server.app.app_context():
        evaluation = db.session.get(Evaluation, int(evaluation_url.rsplit("/", 1)[1]))
        agent = evaluation.agent.username
        assert evaluation.status == "published" and evaluation.sampled_call_id is not None
        db.session.remove()

    context, page = sign_in(browser, live_server, agent, PHONE)
    page.goto(f"{live_server.url}/evaluations")
    page.locator("li.pending-item", has_text=serial.split()[-1]).locator("header a").click()
    expect(page.locator("main")).to_contain_text("开场白未报工号")
    page.get_by_role("button", name="我已阅读").click()
    expect(page.locator("main")).to_contain_text("座席员已于")
    no_overflow(page)
    screenshot(page, "quality-journey-3-agent-evaluation")
    page.locator("hgroup a").first.click()  # the call
    page.get_by_role("link", name="查看该座席员当天的录音").click()
    expect(page.locator("h1")).to_contain_text("为何抽中")
    expect(page.locator(".why-taken")).to_contain_text(re.compile("抽中"))
    page.locator("details.covered summary").click()  # who the rule covers, loaded when opened
    expect(page.locator(".covered-people li").first).to_be_visible()
    no_overflow(page)
    screenshot(page, "quality-journey-4-why")
    context.close()
    with live_server.app.app_context():
        assert db.session.scalar(select(Evaluation.read_at).where(
            Evaluation.id == evaluation.id)) is not None
        db.session.remove()


def test_a_recorded_moment_plays_the_recording_from_there(browser, live_server):
    """Issue: "Every recorded moment is a link that plays the recording from that moment."
    The link plays the page's own player; it must not leave the page (a boosted link would
    load the audio file in its place)."""
    with live_server.app.app_context():
        evaluation_id = db.session.scalar(
            select(Evaluation.id).join(Deduction).join(Call, Evaluation.call_id == Call.id)
            .where(Evaluation.status == "published", Deduction.moment_s.is_not(None),
                   Call.recording_url.is_not(None)).limit(1))
        db.session.remove()
    context, page = sign_in(browser, live_server, "supervisor", PHONE)
    path = f"/evaluations/{evaluation_id}"
    page.goto(live_server.url + path)
    link = page.locator("main a[data-seek]").first
    moment = int(link.get_attribute("data-seek"))
    link.click()
    page.wait_for_timeout(300)
    assert page.url == live_server.url + path
    expect(page.locator("main h1")).to_be_visible()
    played = page.evaluate("(() => { const a = document.getElementById('recording');"
                           " return [a.currentTime, a.duration]; })()")
    # the player went to the moment, or to its end when the recording is shorter
    assert played[0] >= min(moment, played[1] or moment) - 0.5, (moment, played)
    context.close()
