"""Adding an area means its own package plus one line in create_app: a throwaway area that
declares one of each thing an area may declare shows up everywhere the shell merges them,
without any other area or shared module naming it."""

import pytest
from flask import Blueprint
from flask_babel import ngettext
from sqlalchemy import false, select, true

from app import areas, settings
from app.access import AGENTS, SIGNED_IN, SUPERVISOR
from app.extensions import db
from app.people.models import Role, User
from tests.conftest import post_form


def probe_area() -> areas.Area:
    """An area named "probe" with one page, one link, one card, one waiting query, one section
    on a person's page and one on My shifts, one setting and one audited action."""
    bp = Blueprint("probe", __name__)

    @bp.route("/probe")
    def probe_page():
        return "probe page"

    def waiting(actor):
        # Agents have every person waiting for them; nobody else has anything.
        return select(User).where(true() if actor.role == Role.AGENT else false())

    return areas.Area(
        name="probe",
        blueprints=(bp,),
        access={"probe.probe_page": AGENTS},
        nav=(areas.NavLink("probe.probe_page", "PROBE-LINK", 15),),
        home_cards=(areas.Panel("probe_card.html", lambda user: {"who": user.name}, 5),),
        waiting=(areas.Waiting("probe", waiting, lambda n: ngettext("%(num)d", "%(num)d", n),
                               "probe.probe_page"),),
        person_sections=(areas.Panel(
            "probe_section.html", lambda viewer, person: {"text": f"SECTION-FOR-{person.id}"},
            1),),
        shift_sections=(areas.Panel(
            "probe_section.html",
            lambda viewer, first, last: {"text": f"SHIFTS-{first.isoformat()}"}, 1),),
        settings=(settings.Spec("probe_limit", settings.Kind.WHOLE, 7, "PROBE-SETTING", "",
                                1, 9),),
        audit_actions={"probe.poke": "PROBE-ACTION"},
    )


@pytest.fixture
def probed(app, tmp_path):
    """The app with the probe area registered, its templates on the loader's path."""
    (tmp_path / "probe_card.html").write_text(
        '<article class="card" id="probe-card">CARD-FOR {{ who }}</article>', encoding="utf-8")
    (tmp_path / "probe_section.html").write_text(
        '<section class="probe">{{ text }}</section>', encoding="utf-8")
    from jinja2 import ChoiceLoader, FileSystemLoader

    app.jinja_loader  # noqa: B018 (build Flask's loader before wrapping it)
    app.jinja_env.loader = ChoiceLoader([app.jinja_env.loader, FileSystemLoader(tmp_path)])
    areas.register(app, probe_area())
    return app


def test_the_access_table_takes_the_area_s_entries(probed, client, login_as):
    """The area's one entry decides who opens its page; everyone else is refused."""
    assert areas.access_table(probed)["probe.probe_page"] == AGENTS
    login_as(Role.AGENT)
    assert client.get("/probe").text == "probe page"


def test_a_role_the_entry_leaves_out_is_refused(probed, client, login_as):
    login_as(Role.LEAD)
    assert client.get("/probe").status_code == 403


def test_the_navigation_shows_the_link_to_whoever_may_open_it(probed, client, login_as):
    login_as(Role.AGENT)
    home = client.get("/").text
    nav = home.split('<ul class="nav-links">', 1)[1].split("</ul>\n      <ul", 1)[0]
    assert '<a href="/probe" >PROBE-LINK</a>' in nav
    # Ordered among the other areas' links: after My shifts (10), before Schedule (20) and Leave.
    assert nav.index("/shifts/mine") < nav.index("/probe") < nav.index("/leave")


def test_the_link_is_hidden_from_a_role_that_may_not_open_it(probed, client, login_as):
    login_as(Role.QA)
    assert "PROBE-LINK" not in client.get("/").text


def test_the_home_page_shows_the_card_first_by_its_order(probed, client, login_as):
    agent = login_as(Role.AGENT, name="试探员")
    home = client.get("/").text
    assert f'<article class="card" id="probe-card">CARD-FOR {agent.name}</article>' in home
    cards = home.split('<div class="cards">', 1)[1]
    assert cards.index("probe-card") < cards.index("card-profile")


def test_the_pending_counter_adds_the_area_s_waiting_query(probed, client, login_as,
                                                         make_user):
    """Agents have every person waiting for them in the probe: the badge counts them."""
    login_as(Role.AGENT)
    make_user(role=Role.QA)
    people = db.session.scalar(select(db.func.count(User.id)))
    assert client.get("/pending/count").text == str(people)


def test_the_pending_counter_is_empty_for_whom_nothing_waits(probed, client, login_as):
    login_as(Role.QA)
    assert client.get("/pending/count").text == ""


def test_a_person_s_page_shows_the_area_s_section(probed, client, login_as, make_user):
    login_as(Role.SUPERVISOR)
    person = make_user(role=Role.AGENT)
    page = client.get(f"/people/{person.id}").text
    assert f'<section class="probe">SECTION-FOR-{person.id}</section>' in page


def test_my_shifts_shows_the_area_s_section(probed, client, login_as):
    login_as(Role.AGENT)
    page = client.get("/shifts/mine", query_string={"from": "2026-12-07"}).text
    assert '<section class="probe">SHIFTS-2026-12-07</section>' in page


def test_the_settings_page_shows_the_area_s_setting_and_keeps_its_bounds(probed, client,
                                                                         login_as):
    boss = login_as(Role.SUPERVISOR)
    page = client.get("/settings").text
    assert "PROBE-SETTING" in page and 'name="probe_limit"' in page
    assert settings.value("probe_limit") == 7
    values = {key: str(value) for key, value in settings.values().items()}
    too_big = post_form(client, "/settings", {**values, "probe_limit": "10"},
                        token_page="/settings")
    assert too_big.status_code == 422
    assert settings.value("probe_limit") == 7
    saved = post_form(client, "/settings", {**values, "probe_limit": "9"}, token_page="/settings")
    assert saved.status_code == 303
    db.session.expire_all()
    assert settings.value("probe_limit") == 9
    assert boss.id is not None


def test_the_audit_trail_names_the_area_s_action(probed):
    assert areas.audit_actions(probed)["probe.poke"] == "PROBE-ACTION"


def test_two_areas_cannot_claim_the_same_route(probed):
    clash = areas.Area(name="copy", access={"probe.probe_page": SUPERVISOR})
    with pytest.raises(ValueError, match="probe.probe_page"):
        areas.register(probed, clash)


def test_an_area_is_registered_once(probed):
    with pytest.raises(ValueError, match="registered twice"):
        areas.register(probed, areas.Area(name="probe", access={"probe.x": SIGNED_IN}))


def test_two_areas_cannot_declare_the_same_setting(probed):
    again = areas.Area(name="again", settings=(
        settings.Spec("probe_limit", settings.Kind.WHOLE, 1, "x", "", 0, 2),))
    with pytest.raises(ValueError, match="probe_limit"):
        areas.register(probed, again)
