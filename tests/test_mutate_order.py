"""`make mutate` runs a mutant's tests with the mutated module's own first (tests/conftest.py,
home_tests_first): the same tests, in an order that reaches the killing test sooner."""

from types import SimpleNamespace

from tests.conftest import home_tests_first

IDS = ["tests/test_audit.py::a", "tests/staff/test_leave_rules.py::b",
       "tests/staff/test_swap_rules.py::c", "tests/qa/test_calls.py::d",
       "tests/staff/test_swap_pages.py::e", "tests/auth/test_sessions.py::f"]


def ordered(mutant: str) -> list[str]:
    items = [SimpleNamespace(nodeid=nodeid) for nodeid in IDS]
    home_tests_first(items, mutant)
    return [item.nodeid for item in items]


def test_the_modules_own_tests_then_its_package_then_the_rest():
    assert ordered("app.staff.swaps.x_ask__mutmut_2") == [
        "tests/staff/test_swap_rules.py::c", "tests/staff/test_swap_pages.py::e",
        "tests/staff/test_leave_rules.py::b", "tests/test_audit.py::a",
        "tests/qa/test_calls.py::d", "tests/auth/test_sessions.py::f"]
    assert ordered("app.audit.xǁAuditEventǁpayload__mutmut_3")[0] == "tests/test_audit.py::a"
    assert ordered("app.auth.services.x_authenticate__mutmut_1")[0] == \
        "tests/auth/test_sessions.py::f"


def test_outside_a_mutant_session_the_order_is_left_alone():
    for outside in ("", "stats", "fail", "list_all_tests"):
        assert ordered(outside) == IDS
