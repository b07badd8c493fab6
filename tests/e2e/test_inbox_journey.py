"""The inbox on a phone (issue 11, "How it is checked"): "an agent asks leave, the lead and the
supervisor approve it from a phone, and the agent sees the notice and its count at 390×844"."""

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.inbox import services as inbox
from app.people.models import User
from app.staff.models import LeaveRequest
from tests.e2e.test_leave_journey import PHONE, free_shift_day, no_overflow, sign_in

pytestmark = pytest.mark.browser
AGENT, LEAD = "agent03", "lead3"  # team three; the leave journey uses agent02 and lead2
REASON = "陪孩子复诊"


def unread(app, username: str) -> int:
    """The person's unread notifications, as the database has them."""
    with app.app_context():
        person = db.session.scalar(select(User).where(User.username == username))
        number = inbox.unread_count(person)
        db.session.remove()
    return number


def settled_unread(app, username: str, expected: int, within: float = 10.0) -> int:
    """The unread count once the page's own mark-read POSTs have reached the server.

    The badge starts empty before its first load, so an empty badge alone does not show that
    the POSTs are done; the database does. Waits for a state, not for a time: it returns as soon
    as the count is `expected`, and gives the last count it read after `within` seconds."""
    deadline = time.monotonic() + within
    number = unread(app, username)
    while number != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        number = unread(app, username)
    return number


def approve_on_its_page(browser, live_server, username: str, leave_id: int, after: str) -> None:
    context, page = sign_in(browser, live_server, username)
    page.goto(f"{live_server.url}/leave/{leave_id}")
    request = page.locator(f"#leave-{leave_id}")
    no_overflow(page)
    request.get_by_role("button", name="批准").click()  # the confirm is accepted
    expect(request).to_contain_text(after)
    context.close()


def test_the_agent_is_told_of_the_approved_leave_with_a_count(browser, live_server, tmp_path):
    assert PHONE == {"width": 390, "height": 844}
    app = live_server.app
    day = free_shift_day(app, AGENT)
    before = unread(app, AGENT)

    context, page = sign_in(browser, live_server, AGENT)
    page.goto(f"{live_server.url}/leave/new")
    page.select_option("#kind", "annual")
    page.fill("#first_day", day.isoformat())
    page.fill("#last_day", day.isoformat())
    page.fill("#reason", REASON)
    page.click("main button[type=submit]")
    expect(page.locator(".tag").first).to_contain_text("待组长审批")
    context.close()
    with app.app_context():
        leave_id = db.session.scalar(select(LeaveRequest.id).where(
            LeaveRequest.reason == REASON))
        db.session.remove()

    approve_on_its_page(browser, live_server, LEAD, leave_id, "待主管审批")
    assert unread(app, AGENT) == before  # the lead's approval decides nothing yet
    approve_on_its_page(browser, live_server, "supervisor", leave_id, "已批准")
    assert unread(app, AGENT) == before + 1

    context, page = sign_in(browser, live_server, AGENT)
    badge = page.locator("#inbox-count")
    expect(badge).to_have_text(str(before + 1))  # the agent's own count, loaded after the page
    card = page.locator("#inbox-card")
    told = card.locator(f'a[href="/leave/{leave_id}"]')
    expect(told).to_contain_text("您的请假已批准：年假")
    no_overflow(page)
    page.screenshot(path=str(tmp_path / "inbox-journey-agent-home.png"), full_page=True)

    page.locator(".nav-links a[href='/inbox']").click()
    expect(page).to_have_url(f"{live_server.url}/inbox")
    first = page.locator("main li.notification").first
    expect(first).to_contain_text("未读")
    expect(first.locator("a")).to_have_attribute("href", f"/leave/{leave_id}")
    # Each notification the page shows is read once shown (its own POST), and the badge
    # follows: only those beyond the first page are left unread.
    left = max(0, before + 1 - app.config["PAGE_SIZE"])
    assert settled_unread(app, AGENT, left) == left
    expect(badge).to_have_text(str(left) if left else "")
    no_overflow(page)
    page.screenshot(path=str(tmp_path / "inbox-journey-agent-inbox.png"), full_page=True)

    first.locator("a").click()
    expect(page).to_have_url(re.compile(rf"/leave/{leave_id}$"))
    expect(page.locator(".tag").first).to_contain_text("已批准")
    context.close()
    assert (tmp_path / "inbox-journey-agent-home.png").stat().st_size > 0
