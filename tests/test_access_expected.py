"""The access table the app enforces (merged from what the areas declare) against the one written
from the design (tests/access_expected.py): the same routes, and the same roles for each."""

import pytest

from app import create_app
from tests.access_expected import EXPECTED
from tests.routes_helper import ACCESS, ROLES

ENFORCED = "the merged access table (app.areas.access_table)"
DESIGNED = "tests/access_expected.py (from DESIGN.md)"


def said(roles) -> str:
    """Roles in the order of ROLES, for messages: "lead, supervisor" or "nobody"."""
    names = {str(role) for role in roles}
    ordered = [role for role in ROLES if role in names] + sorted(names - set(ROLES))
    return ", ".join(ordered) or "nobody"


def url_map_endpoints() -> set[str]:
    """Every endpoint of the app's url_map (a throwaway app that never opens a database)."""
    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "SECRET_KEY": "collect-only-0123456789abcdefghijklmnop",
    })
    return {rule.endpoint for rule in app.url_map.iter_rules()}


def test_the_design_table_lists_exactly_the_routes_of_the_app():
    endpoints = url_map_endpoints()
    missing = sorted(endpoints - EXPECTED.keys())
    assert not missing, f"routes {DESIGNED} does not decide, add them: {missing}"
    stale = sorted(EXPECTED.keys() - endpoints)
    assert not stale, f"entries of {DESIGNED} that are no longer routes: {stale}"


def test_the_design_table_names_only_known_roles_and_somebody_for_each_route():
    for endpoint, roles in EXPECTED.items():
        assert roles, f"{endpoint} is allowed to nobody in {DESIGNED}"
        assert roles <= set(ROLES), f"{endpoint} names unknown roles {sorted(roles - set(ROLES))}"


@pytest.mark.parametrize("endpoint", sorted(EXPECTED.keys() | ACCESS.keys()))
def test_the_app_gives_each_route_the_roles_the_design_gives_it(endpoint):
    assert endpoint in EXPECTED, (
        f"{endpoint}: {ENFORCED} allows {said(ACCESS[endpoint])}, but {DESIGNED} has no entry "
        "for it: decide from DESIGN.md who may open it (do not copy ACCESS)"
    )
    assert endpoint in ACCESS, (
        f"{endpoint}: {DESIGNED} allows {said(EXPECTED[endpoint])}, but {ENFORCED} has no entry "
        "for it"
    )
    enforced = {str(role) for role in ACCESS[endpoint]}
    designed = set(EXPECTED[endpoint])
    answers = f"{ENFORCED} allows {said(enforced)}, {DESIGNED} allows {said(designed)}"
    differ = enforced ^ designed
    assert not differ, f"{endpoint}: {answers}; they disagree for {said(differ)}"
