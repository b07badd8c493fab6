"""The sampling function on hand-built call logs: every term of a rule and its boundaries."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.qa import sampling
from app.qa.sampling import CallFact, Terms

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 3)  # a Thursday

# "all agents, the 2nd call after 11:00 longer than 200 s"
EXAMPLE = Terms(weekdays=0b1111111, first_day=date(2026, 12, 1), last_day=None,
                window_start=time(11), window_end=None, longer_than_s=200, at_most_s=None,
                direction="any", nth_from=2, nth_to=2)


def call(serial: str, hh: int, mm: int = 0, ss: int = 0, duration: int = 300,
         direction: str = "in", day: date = DAY) -> CallFact:
    local = datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=SHANGHAI)
    return CallFact(serial, local.astimezone(UTC), duration, direction)


def taken(terms, calls, day=DAY):
    return sampling.sample(terms, day, calls, SHANGHAI)


def test_the_example_rule():
    log = [call("A", 10, 59, 59), call("B", 11, 0, 0, duration=200), call("C", 11, 5),
           call("D", 11, 30), call("E", 12)]
    # A is before 11:00; B is not longer than 200 s; C is the 1st qualifying call, D the 2nd
    assert taken(EXAMPLE, log) == ["D"]
    verdicts = sampling.explain(EXAMPLE, DAY, log, SHANGHAI)
    assert [(v.call.serial_no, v.refusal, v.position, v.taken) for v in verdicts] == [
        ("A", sampling.BEFORE_WINDOW, None, False),
        ("B", sampling.TOO_SHORT, None, False),
        ("C", None, 1, False),
        ("D", None, 2, True),
        ("E", None, 3, False),
    ]


def test_the_window_start_is_inclusive_and_its_end_exclusive():
    terms = replace(EXAMPLE, window_end=time(12), nth_from=1, nth_to=9)
    log = [call("at-start", 11), call("inside", 11, 59, 59), call("at-end", 12)]
    assert taken(terms, log) == ["at-start", "inside"]
    assert sampling.refusal(terms, log[2], SHANGHAI) == sampling.AFTER_WINDOW


def test_longer_than_is_strict_and_at_most_inclusive():
    terms = replace(EXAMPLE, window_start=None, longer_than_s=200, at_most_s=600, nth_from=1,
                    nth_to=9)
    log = [call("200", 9, duration=200), call("201", 9, 1, duration=201),
           call("600", 9, 2, duration=600), call("601", 9, 3, duration=601)]
    assert taken(terms, log) == ["201", "600"]
    assert sampling.refusal(terms, log[3], SHANGHAI) == sampling.TOO_LONG


@pytest.mark.parametrize(("direction", "expected"), [("any", ["in", "out"]), ("in", ["in"]),
                                                     ("out", ["out"])])
def test_direction(direction, expected):
    terms = replace(EXAMPLE, window_start=None, direction=direction, nth_from=1, nth_to=9)
    log = [call("in", 9, direction="in"), call("out", 10, direction="out")]
    assert taken(terms, log) == expected


def test_the_nth_to_the_mth():
    terms = replace(EXAMPLE, window_start=None, nth_from=2, nth_to=4)
    log = [call(f"c{n}", 9, n) for n in range(1, 7)]
    assert taken(terms, log) == ["c2", "c3", "c4"]
    assert taken(replace(terms, nth_from=6, nth_to=8), log) == ["c6"]  # fewer calls than asked
    assert taken(replace(terms, nth_from=7, nth_to=8), log) == []


def test_weekdays_and_the_rules_days():
    log = [call("x", 12)]
    thursday = 1 << DAY.weekday()
    assert taken(replace(EXAMPLE, nth_from=1, weekdays=thursday), log) == ["x"]
    assert taken(replace(EXAMPLE, nth_from=1, weekdays=0b1111111 & ~thursday), log) == []
    assert taken(replace(EXAMPLE, nth_from=1, first_day=DAY), log) == ["x"]
    assert taken(replace(EXAMPLE, nth_from=1, first_day=DAY + timedelta(days=1)), log) == []
    assert taken(replace(EXAMPLE, nth_from=1, last_day=DAY), log) == ["x"]
    assert taken(replace(EXAMPLE, nth_from=1, last_day=DAY - timedelta(days=1)), log) == []


def test_the_day_is_the_centers_day_not_utcs():
    # 00:30 in Shanghai is 16:30 UTC the day before; 23:30 belongs to the day.
    terms = replace(EXAMPLE, window_start=None, nth_from=1, nth_to=9)
    log = [call("early", 0, 30), call("late", 23, 30),
           call("next-day", 0, 10, day=DAY + timedelta(days=1))]
    assert taken(terms, log) == ["early", "late"]


def test_ties_are_broken_by_serial_no():
    terms = replace(EXAMPLE, window_start=None, nth_from=1, nth_to=1)
    log = [call("B-2", 9), call("A-1", 9)]
    assert taken(terms, log) == ["A-1"]
    assert taken(terms, list(reversed(log))) == ["A-1"]


calls_strategy = st.lists(
    st.builds(call, st.text("ABCDEFGH123", min_size=1, max_size=6), st.integers(0, 23),
              st.integers(0, 59), st.integers(0, 59), st.integers(0, 1200),
              st.sampled_from(["in", "out"])),
    max_size=40, unique_by=lambda c: c.serial_no)
terms_strategy = st.builds(
    lambda start, end, longer, extra, direction, first, count, days: Terms(
        days, date(2026, 12, 1), None, start, end, longer,
        None if extra is None else longer + extra, direction, first, first + count),
    st.one_of(st.none(), st.times()), st.one_of(st.none(), st.times()),
    st.integers(0, 600), st.one_of(st.none(), st.integers(1, 600)),
    st.sampled_from(["any", "in", "out"]), st.integers(1, 5), st.integers(0, 4),
    st.integers(1, 127))


@settings(max_examples=200, deadline=None)
@given(terms=terms_strategy, log=calls_strategy, order=st.randoms())
def test_the_same_rule_and_log_always_give_the_same_sample(terms, log, order):
    first = taken(terms, log)
    shuffled = list(log)
    order.shuffle(shuffled)
    assert taken(terms, shuffled) == first  # the order the log arrives in does not matter
    verdicts = sampling.explain(terms, DAY, log, SHANGHAI)
    qualifying = [v for v in verdicts if v.refusal is None]
    assert [v.position for v in qualifying] == list(range(1, len(qualifying) + 1))
    assert len(first) <= terms.nth_to - terms.nth_from + 1
    assert all(v.refusal is None for v in verdicts if v.taken)
