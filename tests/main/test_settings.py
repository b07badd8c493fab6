"""Typed settings (app/settings.py): each kind checks, stores and reads back its values, and
the settings page groups the areas' settings and refuses what does not fit."""

import json
from datetime import time

import pytest

from app import settings
from app.audit import AuditEvent
from app.extensions import db
from app.people.models import Role
from app.settings import Kind, Spec
from tests.conftest import audit_rows, post_form

WHOLE = Spec("w", Kind.WHOLE, 5, "whole", "", 1, 9)
SWITCH = Spec("s", Kind.SWITCH, False, "switch")
TIME = Spec("t", Kind.TIME, time(22, 0), "time")
TEXTS = Spec("l", Kind.TEXTS, [], "list", max_items=2)


@pytest.mark.parametrize(("value", "fits"), [(0, False), (1, True), (9, True), (10, False),
                                             (True, False), ("5", False)])
def test_a_whole_number_fits_between_its_bounds(value, fits):
    if fits:
        assert WHOLE.check(value) == value
    else:
        with pytest.raises(ValueError, match="w"):
            WHOLE.check(value)


@pytest.mark.parametrize(("value", "fits"), [(True, True), (False, True), (1, False),
                                             ("yes", False)])
def test_a_switch_is_yes_or_no(value, fits):
    if fits:
        assert SWITCH.check(value) is value
    else:
        with pytest.raises(ValueError, match="s"):
            SWITCH.check(value)


def test_a_time_of_day_keeps_hours_and_minutes():
    assert TIME.check(time(7, 30, 59)) == time(7, 30)
    assert TIME.load(TIME.dump(time(7, 30))) == time(7, 30)
    with pytest.raises(ValueError, match="t"):
        TIME.check("07:30")


def test_a_list_drops_blank_entries_and_keeps_its_limits():
    assert TEXTS.check([" a ", "", "b"]) == ["a", "b"]
    with pytest.raises(ValueError, match="l"):
        TEXTS.check(["a", "b", "c"])  # one more than max_items
    assert TEXTS.check(["x" * 200]) == ["x" * 200]
    with pytest.raises(ValueError, match="l"):
        TEXTS.check(["x" * 201])


@pytest.mark.parametrize("spec", [WHOLE, SWITCH, TIME, TEXTS])
def test_a_stored_value_that_no_longer_fits_reads_as_the_default(spec):
    """A declaration tightened after a value was saved falls back to its default."""
    assert spec.load("not json") == spec.default
    assert spec.load('"wrong type"') == spec.default


def test_chinese_text_is_stored_as_written():
    assert TEXTS.dump(["呼入"]) == '["呼入"]'


def test_the_page_groups_the_settings_by_area(app, client, login_as):
    login_as(Role.SUPERVISOR)
    page = client.get("/settings").text
    staff = page.index("班次、请假与换班")
    quality = page.index("<h2>质检</h2>")
    assert staff < page.index('name="leave_notice_days"') < quality
    assert quality < page.index('name="rule_notice_days"')


def test_a_value_out_of_bounds_is_refused_beside_its_field_and_nothing_is_saved(app, client,
                                                                                login_as):
    login_as(Role.SUPERVISOR)
    values = {key: str(value) for key, value in settings.values().items()}
    response = post_form(client, "/settings", {**values, "swaps_per_month": "32",
                                               "away_minutes": "6"}, token_page="/settings")
    assert response.status_code == 422
    assert ('<small id="swaps_per_month-error" class="error">数值大小必须介于 1 到 31 之间。'
            '</small>') in response.text
    assert 'aria-invalid="true" id="away_minutes"' not in response.text
    db.session.expire_all()
    assert settings.value("away_minutes") == 5
    assert db.session.query(settings.Setting).count() == 0


def test_a_change_is_saved_typed_and_audited(app, client, login_as):
    boss = login_as(Role.SUPERVISOR)
    values = {key: "\n".join(value) if isinstance(value, list) else str(value)
              for key, value in settings.values().items()}  # as the form shows each one
    response = post_form(client, "/settings", {**values, "away_minutes": "6"},
                         token_page="/settings")
    assert response.status_code == 303
    db.session.expire_all()
    assert settings.value("away_minutes") == 6
    row = db.session.get(settings.Setting, "away_minutes")
    assert row.value == "6" and row.updated_by_id == boss.id
    [event] = audit_rows("setting.change")
    assert isinstance(event, AuditEvent)
    assert (event.object_id, json.loads(event.before), json.loads(event.after)) == (
        "away_minutes", {"value": 5}, {"value": 6})


def test_each_group_is_headed_by_its_area_s_title(app, client, login_as):
    """The inbox's keeping period sits under 消息, in the page's language, not its code."""
    login_as(Role.SUPERVISOR)
    page = client.get("/settings").text
    assert "<h2>消息</h2>" in page and "<h2>inbox</h2>" not in page
    assert page.index("<h2>消息</h2>") < page.index('name="inbox_keep_days"')


def test_the_former_address_leads_to_the_settings(app, client, login_as):
    login_as(Role.SUPERVISOR)
    response = client.get("/rules")
    assert response.status_code == 301
    assert response.headers["Location"] == "/settings"


def test_the_former_address_is_for_supervisors_only(app, client, login_as):
    login_as(Role.LEAD)
    assert client.get("/rules").status_code == 403
