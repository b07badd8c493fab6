"""Wide tables sit in one shared scroll container that a keyboard can reach.

Issue 11: "Wide tables use one shared scroll container, which is keyboard-focusable
(`tabindex="0"`, a name, a visible focus ring). axe's `scrollable-region-focusable` then passes
on every page."
"""

import re
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from flask import render_template_string

from app.extensions import db
from app.people import services as people
from app.people.models import Role
from app.staff import handovers, schedule
from app.staff.models import LeaveRequest, LeaveStatus
from app.timeutil import center_today, utcnow
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
MACRO = TEMPLATES / "_macros" / "tables.html"
WRAPPER = re.compile(r'<div class="table-scroll[^"]*"[^>]*>')


def wrappers(html: str) -> list[str]:
    """Every scroll container's opening tag on a page."""
    return WRAPPER.findall(html)


def reachable_and_named(tag: str) -> bool:
    """Focusable by keyboard, announced as a region, with a name that is not empty."""
    label = re.search(r'aria-label="([^"]*)"', tag)
    return ('tabindex="0"' in tag and 'role="region"' in tag and label is not None
            and label.group(1).strip() != "")


def test_every_template_uses_the_shared_container():
    """No template writes the container by hand: each wide table goes through the macro."""
    by_hand = [str(path.relative_to(TEMPLATES)) for path in sorted(TEMPLATES.rglob("*.html"))
               if path != MACRO and 'class="table-scroll' in path.read_text(encoding="utf-8")]
    assert by_hand == []


def test_the_container_is_focusable_and_named(app):
    with app.test_request_context():
        html = render_template_string(
            '{% from "_macros/tables.html" import table_scroll %}'
            '{% call table_scroll("Teams", class="week-scroll") %}<table></table>{% endcall %}')
    [tag] = wrappers(html)
    assert tag == ('<div class="table-scroll week-scroll" tabindex="0" role="region" '
                   'aria-label="Teams">')
    assert "<table></table>" in html


def test_the_focus_ring_is_visible():
    """A container that takes the focus shows it."""
    css = (ROOT / "static" / "app.css").read_text(encoding="utf-8")
    assert re.search(r"\.table-scroll:focus-visible\s*\{[^}]*outline:\s*2px solid", css)


@pytest.fixture
def center(app, make_user, make_team):
    """A lead's team with an agent who has a shift, a grade change, a leave request and a
    handover written for the team; a supervisor."""
    lead = make_user(role=Role.LEAD)
    team = make_team("一组", lead=lead)
    agent = make_user(team=team)
    boss = make_user(role=Role.SUPERVISOR)
    tomorrow = center_today() + timedelta(days=1)
    schedule.add_shift(agent, tomorrow, time(9), time(17), "早班", lead)
    people.promote(agent, "senior", date(2026, 1, 1), "考核优秀")
    first = schedule.span(tomorrow, time(9), time(17))
    db.session.add(LeaveRequest(user_id=agent.id, kind="annual", starts_at=first[0],
                                ends_at=first[1], reason="", hours=8,
                                status=LeaveStatus.PENDING_LEAD))
    handovers.write(team, lead, center_today(), "早班", "", [("customer", "回电", "")],
                    utcnow())
    db.session.commit()
    return {"lead": lead, "agent": agent, "boss": boss}


PAGES = [
    ("lead", "/"),  # the members of my team
    ("lead", "/shifts/week"),  # who works when, and the head count per hour
    ("lead", "/leave"),  # the requests I can see
    ("lead", "/handovers"),  # the handover history
    ("boss", "/people"),
    ("boss", "/teams"),
    ("boss", "/people/{agent}"),  # grade history
    ("boss", "/audit"),
]


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_every_wide_table_on_the_pages_is_reachable_and_named(app, center, who, path):
    client = app.test_client()
    assert login(client, center[who].username).status_code == 303
    page = client.get(path.format(agent=center["agent"].id))
    assert page.status_code == 200
    found = wrappers(page.text)
    assert found, f"{path} shows no wide table"
    assert all(reachable_and_named(tag) for tag in found), found
