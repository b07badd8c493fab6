"""The sampling function at every boundary of a rule's terms, one unit either side.

DESIGN.md, Sampling rule (录音抽取标准): "QA states in advance which calls will be scored, e.g.
"for every agent, the 2nd call after 11:00 longer than 200 s" ... The sample is a pure function
of the published rule and the call log: anyone can recompute it and get the same calls."
"""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.qa import sampling
from app.qa.models import SamplingRule
from app.qa.sampling import CallFact, Terms, Verdict

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 30)
DAY = date(2026, 12, 3)  # a Thursday
EVERY_DAY = 0b1111111

# Every call qualifies under these terms: no window, longer than 0 s, any direction, 1st to 99th.
OPEN = Terms(weekdays=EVERY_DAY, first_day=date(2026, 12, 1), last_day=None, window_start=None,
             window_end=None, longer_than_s=0, at_most_s=None, direction="any", nth_from=1,
             nth_to=99)


def local(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """A moment of the center's day, as the UTC the call log stores."""
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=SHANGHAI).astimezone(UTC)


def call(serial: str, at: datetime, duration: int = 300, direction: str = "in") -> CallFact:
    return CallFact(serial, at, duration, direction)


def refusal(terms: Terms, at: datetime, duration: int = 300, direction: str = "in"):
    return sampling.refusal(terms, call("x", at, duration, direction), SHANGHAI)


def test_the_refusal_words_the_pages_translate():
    """The pages translate these reasons; they are part of the explanation anyone can read."""
    assert (sampling.BEFORE_WINDOW, sampling.AFTER_WINDOW, sampling.TOO_SHORT,
            sampling.TOO_LONG, sampling.WRONG_DIRECTION) == (
        "before_window", "after_window", "too_short", "too_long", "wrong_direction")


def test_the_terms_are_every_column_of_the_rule(app):
    """DESIGN.md: "The sample is a pure function of the published rule": each term is the
    rule's own column, none dropped or swapped."""
    rule = SamplingRule(weekdays=0b0010101, first_day=date(2026, 12, 1),
                        last_day=date(2026, 12, 31), window_start=time(9, 30),
                        window_end=time(17, 45), longer_than_s=120, at_most_s=900,
                        direction="out", nth_from=2, nth_to=5)
    assert Terms.of(rule) == Terms(0b0010101, date(2026, 12, 1), date(2026, 12, 31),
                                   time(9, 30), time(17, 45), 120, 900, "out", 2, 5)


# --- the days a rule applies to --------------------------------------------------------------


@pytest.mark.parametrize(("first_day", "last_day", "applies"), [
    (DAY - timedelta(days=1), None, True),
    (DAY, None, True),  # the first day itself
    (DAY + timedelta(days=1), None, False),  # not yet
    (DAY - timedelta(days=9), DAY + timedelta(days=1), True),
    (DAY - timedelta(days=9), DAY, True),  # the last day itself
    (DAY - timedelta(days=9), DAY - timedelta(days=1), False),  # over
    (DAY, DAY, True),  # a one-day rule
])
def test_a_rule_applies_from_its_first_to_its_last_day(first_day, last_day, applies):
    """SamplingRule: a rule takes calls on its days, first and last day included."""
    terms = replace(OPEN, first_day=first_day, last_day=last_day)
    assert terms.applies_on(DAY) is applies
    assert sampling.sample(terms, DAY, [call("c", local(DAY, 12))], SHANGHAI) == (
        ["c"] if applies else [])


@pytest.mark.parametrize("offset", range(7))
def test_a_rule_applies_on_its_weekdays_only(offset):
    """SamplingRule: "on one of the weekdays" (bit 0 is Monday)."""
    day = MONDAY + timedelta(days=offset)
    terms = replace(OPEN, first_day=MONDAY)
    assert replace(terms, weekdays=1 << offset).applies_on(day) is True
    assert replace(terms, weekdays=EVERY_DAY & ~(1 << offset)).applies_on(day) is False
    for other in set(range(7)) - {offset}:
        assert replace(terms, weekdays=1 << other).applies_on(day) is False


# --- the window, the duration and the direction ---------------------------------------------


@pytest.mark.parametrize(("hh", "mm", "ss", "expected"), [
    (10, 59, 59, sampling.BEFORE_WINDOW),  # a second before the start
    (11, 0, 0, None),  # "calls that start at or after this local time"
    (11, 0, 1, None),
    (11, 59, 59, None),  # "... and before this one"
    (12, 0, 0, sampling.AFTER_WINDOW),
    (12, 0, 1, sampling.AFTER_WINDOW),
])
def test_the_window_starts_inclusive_and_ends_exclusive(hh, mm, ss, expected):
    """DESIGN.md: "the 2nd call after 11:00"; SamplingRule: "started in the time window"."""
    terms = replace(OPEN, window_start=time(11), window_end=time(12))
    assert refusal(terms, local(DAY, hh, mm, ss)) == expected


@pytest.mark.parametrize(("hh", "mm", "ss"), [(0, 0, 0), (10, 59, 59), (23, 59, 59)])
def test_without_a_window_every_moment_of_the_day_qualifies(hh, mm, ss):
    """SamplingRule: the window is optional; without it the whole day counts."""
    assert refusal(OPEN, local(DAY, hh, mm, ss)) is None
    assert refusal(replace(OPEN, window_start=time(11)), local(DAY, 23, 59, 59)) is None
    assert refusal(replace(OPEN, window_end=time(11)), local(DAY, 0, 0, 0)) is None


def test_the_window_is_read_in_the_centers_time():
    """DESIGN.md: "Times are stored in UTC and shown in the center's time zone": 11:00 in
    Shanghai is 03:00 UTC, inside a window from 11:00 and outside one that ends at 04:00."""
    assert refusal(replace(OPEN, window_start=time(11)), local(DAY, 11)) is None
    assert refusal(replace(OPEN, window_end=time(4)), local(DAY, 3, 30)) is None
    assert refusal(replace(OPEN, window_end=time(4)), local(DAY, 11)) == sampling.AFTER_WINDOW


@pytest.mark.parametrize(("duration", "expected"), [
    (199, sampling.TOO_SHORT), (200, sampling.TOO_SHORT),  # "longer than 200 s"
    (201, None), (600, None),  # "at most"
    (601, sampling.TOO_LONG),
])
def test_longer_than_is_strict_and_at_most_inclusive(duration, expected):
    """DESIGN.md: "the 2nd call after 11:00 longer than 200 s"; SamplingRule: "longer than
    `longer_than_s` and at most `at_most_s` seconds"."""
    terms = replace(OPEN, longer_than_s=200, at_most_s=600)
    assert refusal(terms, local(DAY, 12), duration) == expected


def test_without_a_longest_duration_no_call_is_too_long():
    """SamplingRule: `at_most_s` is optional."""
    assert refusal(replace(OPEN, longer_than_s=200), local(DAY, 12), 86400) is None
    assert refusal(OPEN, local(DAY, 12), 0) == sampling.TOO_SHORT  # "longer than 0 s"
    assert refusal(OPEN, local(DAY, 12), 1) is None


@pytest.mark.parametrize(("wanted", "made", "expected"), [
    ("any", "in", None), ("any", "out", None),
    ("in", "in", None), ("in", "out", sampling.WRONG_DIRECTION),
    ("out", "out", None), ("out", "in", sampling.WRONG_DIRECTION),
])
def test_the_direction(wanted, made, expected):
    """SamplingRule: "... in the direction"."""
    assert refusal(replace(OPEN, direction=wanted), local(DAY, 12), direction=made) == expected


def test_the_first_reason_is_given_in_the_order_window_duration_direction():
    """The explanation names one reason per call: the window first, then the length, then the
    direction, so everyone reading it sees the same reason."""
    terms = replace(OPEN, window_start=time(11), window_end=time(12), longer_than_s=200,
                    at_most_s=600, direction="out")
    assert refusal(terms, local(DAY, 10), 100, "in") == sampling.BEFORE_WINDOW
    assert refusal(terms, local(DAY, 13), 900, "in") == sampling.AFTER_WINDOW
    assert refusal(terms, local(DAY, 11, 30), 100, "in") == sampling.TOO_SHORT
    assert refusal(terms, local(DAY, 11, 30), 900, "in") == sampling.TOO_LONG
    assert refusal(terms, local(DAY, 11, 30), 300, "in") == sampling.WRONG_DIRECTION
    assert refusal(terms, local(DAY, 11, 30), 300, "out") is None


# --- the day's calls, their order and the n-th ----------------------------------------------


def test_the_day_runs_from_midnight_to_midnight_in_the_centers_time():
    """DESIGN.md: days are the center's days ("in the center's time"): a call at 00:00:00
    belongs to the day, one at 23:59:59 the day before does not, nor one at 00:00:00 after."""
    log = [call("before", local(DAY, 0) - timedelta(seconds=1)), call("first", local(DAY, 0)),
           call("last", local(DAY, 23, 59, 59)), call("after", local(DAY + timedelta(days=1), 0))]
    verdicts = sampling.explain(OPEN, DAY, log, SHANGHAI)
    assert [v.call.serial_no for v in verdicts] == ["first", "last"]
    assert sampling.sample(OPEN, DAY, log, SHANGHAI) == ["first", "last"]


def test_every_verdict_of_the_day_in_order():
    """SamplingRule: "Of an agent's calls on a day that qualify ..., taken in the order they
    started, the rule takes the `nth_from`-th to the `nth_to`-th"; ties by serial no."""
    terms = replace(OPEN, longer_than_s=200, nth_from=2, nth_to=3)
    c = {
        "a": call("a", local(DAY, 9), 300),
        "short": call("short", local(DAY, 9, 30), 100),
        "b2": call("b2", local(DAY, 10), 300),
        "b1": call("b1", local(DAY, 10), 300),  # same moment: serial no. decides
        "c": call("c", local(DAY, 11), 300),
        "d": call("d", local(DAY, 12), 300),
    }
    verdicts = sampling.explain(terms, DAY, reversed(list(c.values())), SHANGHAI)
    assert verdicts == [
        Verdict(c["a"], None, 1, False),
        Verdict(c["short"], sampling.TOO_SHORT, None, False),
        Verdict(c["b1"], None, 2, True),  # nth_from
        Verdict(c["b2"], None, 3, True),  # nth_to
        Verdict(c["c"], None, 4, False),  # one past nth_to
        Verdict(c["d"], None, 5, False),
    ]
    assert sampling.sample(terms, DAY, c.values(), SHANGHAI) == ["b1", "b2"]


@pytest.mark.parametrize(("nth_from", "nth_to", "expected"), [
    (1, 1, ["c1"]), (2, 2, ["c2"]), (3, 3, ["c3"]), (4, 4, []),
    (1, 3, ["c1", "c2", "c3"]), (2, 3, ["c2", "c3"]), (3, 5, ["c3"]),
])
def test_the_nth_from_and_to_are_both_taken(nth_from, nth_to, expected):
    """SamplingRule: "the `nth_from`-th to the `nth_to`-th", both included."""
    log = [call(f"c{n}", local(DAY, 9 + n)) for n in (1, 2, 3)]
    terms = replace(OPEN, nth_from=nth_from, nth_to=nth_to)
    assert sampling.sample(terms, DAY, log, SHANGHAI) == expected


def test_a_day_the_rule_does_not_apply_to_is_explained_but_takes_nothing():
    """Terms.applies_on: "On a day the rule does not apply to, nothing is taken" (the calls
    still show with their places, so the page can say why none was taken)."""
    terms = replace(OPEN, weekdays=EVERY_DAY & ~(1 << DAY.weekday()))
    log = [call("a", local(DAY, 9)), call("b", local(DAY, 10), 0)]
    assert sampling.explain(terms, DAY, log, SHANGHAI) == [
        Verdict(log[0], None, 1, False), Verdict(log[1], sampling.TOO_SHORT, None, False)]
    assert sampling.sample(terms, DAY, log, SHANGHAI) == []


def test_an_empty_log_explains_and_takes_nothing():
    """The empty case: no calls that day, no sample."""
    assert sampling.explain(OPEN, DAY, [], SHANGHAI) == []
    assert sampling.sample(OPEN, DAY, [], SHANGHAI) == []
    other_day = [call("x", local(DAY - timedelta(days=1), 12))]
    assert sampling.explain(OPEN, DAY, other_day, SHANGHAI) == []
