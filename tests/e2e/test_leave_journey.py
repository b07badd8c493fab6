"""The leave journey on a phone: an agent asks, the lead and the supervisor approve from their
home pages, and the agent sees it approved with the shift marked."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.people.models import User
from app.staff.models import LeaveRequest, LeaveStatus, Shift
from app.timeutil import center_today

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def free_shift_day(app, username: str):
    """A day at least two days ahead on which the person works and has no leave yet."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        taken = db.session.scalars(select(LeaveRequest).where(LeaveRequest.user_id == user.id))
        busy = {(r.starts_at, r.ends_at) for r in taken}
        for shift in db.session.scalars(select(Shift).where(
                Shift.user_id == user.id, Shift.day >= center_today() + timedelta(days=2),
                Shift.leave_id.is_(None)).order_by(Shift.starts_at)):
            if not any(s < shift.ends_at and e > shift.starts_at for s, e in busy):
                return shift.day
    raise AssertionError("the demo gives every agent shifts ahead")


def sign_in(browser, live_server, username, viewport=PHONE):
    """A fresh browser context signed in as `username`, on its home page, confirmations
    accepted. The sign-in itself happens once per person and run (LiveServer.storage_state):
    the server allows 20 sign-ins a minute from one address, and these journeys are about
    what people do once signed in."""
    context = browser.new_context(viewport=viewport, locale="zh-CN",
                                  timezone_id="Asia/Shanghai",
                                  storage_state=live_server.storage_state(browser, username))
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm asks before deciding
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/")  # signed in: not sent to /login
    expect(page.locator("h1")).to_contain_text(live_server.names[username])
    return context, page


def no_overflow(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def approve_from_home(browser, live_server, username, requester_name, screenshot, step):
    context, page = sign_in(browser, live_server, username)
    card = page.locator("#pending-card article.pending-item", has_text=requester_name)
    expect(card).to_have_count(1)
    no_overflow(page)
    screenshot(page, f"leave-journey-{step}-{username}-home")
    badge = page.locator("#pending-count")
    expect(badge).to_have_text(__import__("re").compile(r"^\d+$"))  # loaded after the page
    before = int(badge.inner_text())
    card.get_by_role("button", name="批准").click()  # first tap; the confirm is the second
    expect(card).to_contain_text("待主管审批" if step == "2" else "已批准")
    expect(badge).to_have_text(str(before - 1) if before > 1 else "")  # counter updated live
    context.close()


def test_agent_asks_lead_and_supervisor_approve_agent_sees_it(browser, live_server,
                                                              screenshot):
    day = free_shift_day(live_server.app, "agent02")
    context, page = sign_in(browser, live_server, "agent02")
    page.goto(f"{live_server.url}/leave/new")
    page.select_option("#kind", "annual")
    page.fill("#first_day", day.isoformat())
    page.fill("#last_day", day.isoformat())
    page.fill("#reason", "陪家人看病")
    no_overflow(page)
    screenshot(page, "leave-journey-1-agent-form")
    page.click("main button[type=submit]")
    expect(page.locator(".tag")).to_contain_text("待组长审批")
    context.close()

    requester = live_server.names["agent02"]
    approve_from_home(browser, live_server, "lead2", requester, screenshot, "2")
    approve_from_home(browser, live_server, "supervisor", requester, screenshot, "3")

    context, page = sign_in(browser, live_server, "agent02")
    page.goto(f"{live_server.url}/leave")
    page.locator("main a", has_text="年假").first.click()
    expect(page.locator(".tag").first).to_contain_text("已批准")
    expect(page.locator("main")).to_contain_text("请假")
    page.goto(f"{live_server.url}/")
    no_overflow(page)
    screenshot(page, "leave-journey-4-agent-home")
    with live_server.app.app_context():
        request = db.session.scalar(select(LeaveRequest).where(
            LeaveRequest.reason == "陪家人看病"))
        assert request.status == LeaveStatus.APPROVED
        assert db.session.scalar(select(Shift.id).where(Shift.leave_id == request.id))
        db.session.remove()
    context.close()
