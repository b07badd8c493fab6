"""What the quality tests share: a small center with calls of one day."""

from datetime import UTC, date, datetime, time

import pytest

from app.extensions import db
from app.people.models import Role
from app.qa import rules, scorecards
from app.qa.models import Call, RuleStatus, SamplingRule
from app.timeutil import center_tz
from tests.conftest import login

TODAY = date(2026, 12, 2)


@pytest.fixture
def center(app, make_user, make_team, clock):
    """A reviewer, a supervisor, a team with its lead and two agents, a scorecard, and calls
    of both agents today."""
    clock.set(datetime.combine(TODAY, time(20), center_tz()).astimezone(UTC))
    lead = make_user(role=Role.LEAD)
    team = make_team(lead=lead)
    people = {"qa": make_user(role=Role.QA), "boss": make_user(role=Role.SUPERVISOR),
              "lead": lead, "a1": make_user(team=team), "a2": make_user(team=team),
              "outsider": make_user(team=make_team())}
    card = scorecards.create("通用质检表", people["boss"])
    category = scorecards.add_category(card, "服务态度", people["boss"])
    scorecards.add_item(card, category, "语气生硬", 5, "", people["boss"])
    scorecards.add_item(card, category, "打断客户", 3, "", people["boss"])
    for key in ("a1", "a2"):
        for n, hh in enumerate((10, 12, 13)):
            db.session.add(Call(serial_no=f"{key}-{n}", agent_id=people[key].id,
                                started_at=datetime.combine(TODAY, time(hh), center_tz()),
                                duration_s=300, direction="in", customer_number="13800138000"))
    db.session.commit()
    return people


def as_user(app, person):
    client = app.test_client()
    assert login(client, person.username).status_code == 303
    return client


def published_rule(center, first_day=TODAY, **terms) -> SamplingRule:
    """Every agent's 1st call after 11:00 longer than 200 s, published on Nov 30 (who it
    covers fixed then, as publishing does)."""
    rule = SamplingRule(**{"name": "11点后第1通", "scope": "all", "first_day": first_day,
                           "window_start": time(11), "longer_than_s": 200, "nth_from": 1,
                           "nth_to": 1, "status": RuleStatus.PUBLISHED,
                           "created_by_id": center["qa"].id,
                           "published_at": datetime(2026, 11, 30, tzinfo=UTC), **terms})
    rule.covered_people = list(db.session.scalars(rules.eligible(rule)))
    db.session.add(rule)
    db.session.commit()
    return rule
