"""The inbox (消息), issue 11 point 5: notifications unread first, each person's own count,
read only through a POST, nobody reads another's, old ones removed by `flask inbox-clean`."""

import re
from datetime import timedelta

import pytest
from flask import Blueprint
from sqlalchemy import event, select

from app import areas, settings
from app.extensions import db
from app.inbox import services as inbox
from app.inbox.models import Notification
from app.people.models import Role
from tests.conftest import HX, login
from tests.routes_helper import recorded_writes

ASKED = "2026-11-20T02:00:00+00:00"  # 10:00 in Shanghai


def tell(person, at=None, kind="away.refused", **params):
    """Store one notification for `person` (the refused away request of 10:00 by default)."""
    notification = inbox.post(person, kind, "staff.away_board", {}, at=at,
                              **(params or {"asked": ASKED}))
    db.session.commit()
    return notification


def signed_in(app, user):
    """A fresh client signed in as `user`."""
    client = app.test_client()
    assert login(client, user.username).status_code == 303
    return client


def shown_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="notification-(\d+)"', html)]


def without_tokens(html: str) -> str:
    """A page without its CSRF tokens (signed with the second they were made in)."""
    return re.sub(r'("X-CSRFToken": |name="csrf_token" value=)"[^"]+"', r"\1", html)


def read_at(notification):
    db.session.expire_all()
    return db.session.get(Notification, notification.id).read_at


# --- what a person sees ----------------------------------------------------------------------


def test_unread_first_then_read_newest_first_within_each(app, make_user, clock):
    """"People see their notices unread first"; newest first within the unread and the read."""
    agent = make_user()
    old_unread = tell(agent, at=clock.now - timedelta(days=3))
    new_read = tell(agent, at=clock.now - timedelta(days=1))
    new_unread = tell(agent, at=clock.now - timedelta(days=2))
    old_read = tell(agent, at=clock.now - timedelta(days=4))
    for notification in (new_read, old_read):
        inbox.mark_read(notification, clock.now)
    db.session.commit()
    page = signed_in(app, agent).get("/inbox").text
    assert shown_ids(page) == [new_unread.id, old_unread.id, new_read.id, old_read.id]


def test_the_list_pages_with_the_one_pager(app, make_user, clock):
    agent = make_user()
    made = [tell(agent, at=clock.now - timedelta(minutes=n)) for n in range(3)]
    client = signed_in(app, agent)
    first = client.get("/inbox", query_string={"per_page": 2})
    assert shown_ids(first.text) == [made[0].id, made[1].id]
    assert 'rel="next"' in first.text
    second = client.get("/inbox", query_string={"per_page": 2, "page": 2}, headers=HX)
    assert shown_ids(second.text) == [made[2].id]
    assert "<html" not in second.text  # the list alone, for the pager's target


def test_an_empty_inbox_says_what_will_arrive_here(client, login_as):
    """"an empty state that says what will arrive here"."""
    login_as(Role.QA)
    page = client.get("/inbox").text
    assert "还没有消息" in page and "请假或换班" in page and "离席申请" in page
    assert "质检评分" in page
    assert "全部标为已读" not in page


def test_the_same_stored_notification_in_each_reader_s_language(app, make_user, clock):
    """"A notice is stored as its kind and parameters, and rendered in the reader's
    language": one row, read by a person who chose Chinese and then English."""
    agent = make_user(locale="zh")
    notification = tell(agent)
    client = signed_in(app, agent)
    assert "您的离席申请（申请于 2026/11/20 10:00）未获批准。" in client.get("/inbox").text
    agent.locale = "en"
    db.session.commit()
    english = client.get("/inbox").text
    assert "Your request to step away (asked 11/20/26, 10:00\u202fAM) was refused." in english
    assert notification.params == f'{{"asked": "{ASKED}"}}'  # no words are stored


def test_a_notification_links_to_the_thing_it_is_about(app, make_user):
    agent = make_user()
    tell(agent)
    page = signed_in(app, agent).get("/inbox").text
    assert '<a href="/away">' in page.split('id="notification-')[1]


# --- the unread count ------------------------------------------------------------------------


def test_two_agents_signed_in_each_see_their_own_count(app, make_user, make_team):
    """"The unread count is the reader's own. It is never inside a per-role cache; a test
    signs in two agents and checks.\""""
    team = make_team()
    one, other = make_user(team=team), make_user(team=team)
    for _ in range(3):
        tell(one)
    tell(other)
    first, second = signed_in(app, one), signed_in(app, other)
    assert first.get("/inbox/count").text == "3"
    assert second.get("/inbox/count").text == "1"

    def navigation(client) -> str:
        page = client.get("/").text
        return page.split('<ul class="nav-links">', 1)[1].split("</ul>\n      <ul", 1)[0]

    # The navigation (kept per role, language and page) is the same for both: the badge
    # carries no number of its own and fetches the reader's.
    assert navigation(first) == navigation(second)
    badge = re.search(r'<span id="inbox-count"[^>]*></span>', navigation(first))
    assert badge and 'hx-get="/inbox/count"' in badge.group(0)
    assert 'hx-trigger="load, inbox-changed from:body delay:300ms"' in badge.group(0)
    assert '<a href="/inbox" >消息' in navigation(first)
    assert first.get("/inbox/count").text == "3"  # still its own after the other's pages


def test_nothing_unread_is_an_empty_badge(client, login_as, clock):
    agent = login_as(Role.AGENT)
    inbox.mark_read(tell(agent), clock.now)
    db.session.commit()
    assert client.get("/inbox/count").text == ""


# --- reading ---------------------------------------------------------------------------------


def test_showing_the_inbox_writes_nothing(app, make_user):
    """"Reading a notice marks it read through a POST (htmx on load), not as a side effect of
    a GET": the page carries the POST for each unread notification it shows."""
    agent = make_user()
    notification = tell(agent)
    client = signed_in(app, agent)
    with recorded_writes() as writes:
        page = client.get("/inbox").text
    assert writes == []
    assert read_at(notification) is None
    marker = (f'hx-post="/inbox/{notification.id}/read" hx-trigger="load" '
              'hx-swap="none"')
    assert marker in page
    assert client.get("/").status_code == 200  # the home card neither
    assert read_at(notification) is None


def test_the_htmx_post_marks_it_read_and_updates_the_counter(app, make_user, clock):
    agent = make_user()
    notification = tell(agent)
    client = signed_in(app, agent)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/inbox").text).group(1)
    response = client.post(f"/inbox/{notification.id}/read",
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 204
    assert response.headers["HX-Trigger"] == "inbox-changed"
    assert read_at(notification) == clock.now
    assert client.get("/inbox/count").text == ""
    page = client.get("/inbox").text
    assert f'hx-post="/inbox/{notification.id}/read"' not in page  # read: no POST again


def test_without_javascript_the_post_comes_back_to_the_inbox(app, make_user, clock):
    agent = make_user()
    notification = tell(agent)
    client = signed_in(app, agent)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/inbox").text).group(1)
    response = client.post(f"/inbox/{notification.id}/read", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/inbox"
    assert read_at(notification) == clock.now


def test_the_first_reading_counts(app, make_user, clock):
    agent = make_user()
    notification = tell(agent)
    inbox.mark_read(notification, clock.now - timedelta(hours=1))
    inbox.mark_read(notification, clock.now)
    db.session.commit()
    assert read_at(notification) == clock.now - timedelta(hours=1)


def test_the_post_needs_the_csrf_token(app, make_user):
    agent = make_user()
    notification = tell(agent)
    response = signed_in(app, agent).post(f"/inbox/{notification.id}/read")
    assert response.status_code == 400
    assert read_at(notification) is None


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD, Role.SUPERVISOR])
def test_another_person_s_notification_is_missing(app, make_user, role):
    """"nobody reads another's: 404", a supervisor neither; it is answered as a notification
    that never existed, and it stays unread."""
    owner, other = make_user(), make_user(role=role)
    notification = tell(owner)
    client = signed_in(app, other)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/inbox").text).group(1)
    hidden = client.post(f"/inbox/{notification.id}/read", data={"csrf_token": token})
    missing = client.post("/inbox/999999/read", data={"csrf_token": token})
    assert hidden.status_code == missing.status_code == 404
    assert (without_tokens(hidden.text).replace(f"/inbox/{notification.id}/", "/inbox/999999/")
            == without_tokens(missing.text))
    assert read_at(notification) is None
    assert shown_ids(client.get("/inbox").text) == []
    assert client.get("/inbox/count").text == ""


def test_mark_all_read_is_a_post_of_the_person_s_own(app, make_user, clock):
    agent, other = make_user(), make_user()
    mine = [tell(agent), tell(agent)]
    theirs = tell(other)
    client = signed_in(app, agent)
    page = client.get("/inbox").text
    assert 'action="/inbox/read"' in page and "全部标为已读" in page
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post("/inbox/read", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/inbox"
    assert [read_at(n) for n in mine] == [clock.now, clock.now]
    assert read_at(theirs) is None
    assert 'action="/inbox/read"' not in client.get("/inbox").text


# --- the home card ---------------------------------------------------------------------------


def test_the_home_card_shows_the_newest_unread(app, make_user, clock):
    """"a home card": the five newest unread notifications and how many are unread."""
    agent = make_user()
    made = [tell(agent, at=clock.now - timedelta(minutes=n)) for n in range(7)]
    inbox.mark_read(made[0], clock.now)
    db.session.commit()
    page = signed_in(app, agent).get("/").text
    card = page.split('id="inbox-card"', 1)[1].split("</article>", 1)[0]
    assert "6 条未读消息" in card
    assert shown_ids(card) == [n.id for n in made[1:6]]
    assert "hx-post" not in card  # the card does not mark anything read
    assert 'href="/inbox"' in card


def test_no_card_when_everything_is_read(client, login_as, clock):
    agent = login_as(Role.AGENT)
    inbox.mark_read(tell(agent), clock.now)
    db.session.commit()
    assert 'id="inbox-card"' not in client.get("/").text


# --- posting ---------------------------------------------------------------------------------


def test_only_a_declared_kind_and_a_real_page_are_posted(app, make_user):
    agent = make_user()
    with pytest.raises(ValueError, match="notification kind"):
        inbox.post(agent, "nobody.declares", "staff.away_board", {})
    with pytest.raises(ValueError, match="no page"):
        inbox.post(agent, "away.refused", "staff.no_such_page", {}, asked=ASKED)


def test_a_notification_an_older_version_stored_still_shows(app, make_user):
    """A kind no area declares any more, or missing parameters, or a page that is gone: the
    inbox still opens, with a plain line and no link."""
    agent = make_user()
    for kind, params, endpoint in (("gone.kind", "{}", "staff.away_board"),
                                   ("away.refused", "{}", "staff.away_board"),
                                   ("away.refused", f'{{"asked": "{ASKED}"}}', "gone.page")):
        db.session.add(Notification(recipient_id=agent.id, kind=kind, params=params,
                                    link_endpoint=endpoint, link_args="{}"))
    db.session.commit()
    page = signed_in(app, agent).get("/inbox")
    assert page.status_code == 200
    assert page.text.count("这条消息的详情已无法显示。") == 2
    assert "您的离席申请（申请于 2026/11/20 10:00）未获批准。" in page.text
    assert '<a href="/away">' in page.text  # the two whose page still exists


def test_a_later_area_posts_through_the_same_call(app, client, login_as):
    """"The later areas post to it too": an area unknown to the inbox declares a kind and
    posts it; the inbox words and links it like any other."""
    probe = Blueprint("probe", __name__)

    @probe.route("/probe/<int:thing_id>")
    def show_thing(thing_id: int):
        return f"thing {thing_id}"

    areas.register(app, areas.Area(
        name="probe", blueprints=(probe,), access={"probe.show_thing": frozenset(Role)},
        notification_kinds={"probe.poked": lambda p: f"POKED {p['times']} times"}))
    agent = login_as(Role.AGENT)
    inbox.post(agent, "probe.poked", "probe.show_thing", {"thing_id": 7}, times=3)
    db.session.commit()
    page = client.get("/inbox").text
    assert '<a href="/probe/7">POKED 3 times</a>' in page


def test_the_inbox_reads_the_same_statements_however_many_notifications(app, make_user,
                                                                        clock):
    """The page's statements do not grow with the notifications it shows."""
    agent = make_user()
    client = signed_in(app, agent)
    agent_id = agent.id  # the session is emptied before each count, as a request starts

    def statements() -> int:
        seen = []

        def count(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append(statement)

        db.session.remove()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/inbox").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    tell(agent_id)
    few = statements()
    for n in range(40):
        tell(agent_id, at=clock.now - timedelta(minutes=n))
    assert statements() == few == 3  # the viewer, the count of the pager, the page's rows


# --- keeping and removing --------------------------------------------------------------------


def test_inbox_clean_removes_exactly_those_older_than_the_setting(app, runner, make_user,
                                                                   clock):
    """"Old notices are kept for a period (a setting) and then removed by a flask command",
    read or not; one second inside the period stays."""
    agent = make_user()
    assert settings.value("inbox_keep_days") == 90
    kept = [tell(agent, at=clock.now - timedelta(days=90)),
            tell(agent, at=clock.now - timedelta(days=89))]
    gone = [tell(agent, at=clock.now - timedelta(days=90, seconds=1)),
            tell(agent, at=clock.now - timedelta(days=400))]
    inbox.mark_read(gone[1], clock.now - timedelta(days=300))
    db.session.commit()
    result = runner.invoke(args=["inbox-clean"])
    assert result.exit_code == 0, result.output
    assert result.output == "Removed 2 notifications older than 90 days.\n"
    db.session.expire_all()
    assert db.session.scalars(select(Notification.id).order_by(Notification.id)).all() == [
        n.id for n in kept]


def test_inbox_clean_follows_a_changed_setting(app, runner, make_user, clock):
    agent = make_user()
    boss = make_user(role=Role.SUPERVISOR)
    kept = tell(agent, at=clock.now - timedelta(days=7))
    tell(agent, at=clock.now - timedelta(days=7, seconds=1))
    with app.test_request_context():
        settings.save({"inbox_keep_days": 7}, boss)
        db.session.commit()
    result = runner.invoke(args=["inbox-clean"])
    assert result.output == "Removed 1 notifications older than 7 days.\n"
    db.session.expire_all()
    assert db.session.scalars(select(Notification.id)).all() == [kept.id]


@pytest.mark.parametrize(("days", "fits"), [(6, False), (7, True), (3650, True), (3651, False)])
def test_the_keeping_period_is_a_week_to_ten_years(app, days, fits):
    spec = settings.specs(app)["inbox_keep_days"]
    if fits:
        assert spec.check(days) == days
    else:
        with pytest.raises(ValueError, match="inbox_keep_days"):
            spec.check(days)


def test_what_came_before_a_moment_is_marked_read_and_the_rest_stays_new(app, make_user, clock):
    """The demo center's past has been seen: mark_read_before leaves only later news unread."""
    agent = make_user()
    moment = clock.now - timedelta(hours=1)
    before = tell(agent, at=moment - timedelta(seconds=1))
    at_moment = tell(agent, at=moment)
    db.session.commit()
    assert inbox.mark_read_before(moment, clock.now) == 1
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Notification, before.id).read_at is not None
    assert db.session.get(Notification, at_moment.id).read_at is None
