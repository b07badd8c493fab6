"""The day's sample: a pure function of a published sampling rule and the call log.

Nothing here reads the database or the clock. Given the rule's terms and an agent's calls of
one day, `explain` says for every call whether it qualifies (and if not, why not), its place
among the qualifying calls, and whether the rule takes it. Anyone can recompute it and must
get the same answer: calls are ordered by the moment they started, then by serial no.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo


@dataclass(frozen=True)
class Terms:
    """What a rule says about calls (its scope of agents is decided elsewhere)."""

    weekdays: int  # bit 0 is Monday
    first_day: date
    last_day: date | None
    window_start: time | None  # calls that start at or after this local time
    window_end: time | None  # ... and before this one
    longer_than_s: int
    at_most_s: int | None
    direction: str  # "any", "in" or "out"
    nth_from: int
    nth_to: int

    @classmethod
    def of(cls, rule) -> Terms:
        """The terms of a SamplingRule row."""
        return cls(rule.weekdays, rule.first_day, rule.last_day, rule.window_start,
                   rule.window_end, rule.longer_than_s, rule.at_most_s, rule.direction,
                   rule.nth_from, rule.nth_to)

    def applies_on(self, day: date) -> bool:
        """Whether the rule draws a sample on this day."""
        return (self.first_day <= day
                and (self.last_day is None or day <= self.last_day)
                and bool(self.weekdays & (1 << day.weekday())))


@dataclass(frozen=True)
class CallFact:
    """What sampling looks at in a call."""

    serial_no: str
    started_at: datetime  # aware
    duration_s: int
    direction: str


# Why a call does not qualify; the pages translate these.
BEFORE_WINDOW = "before_window"
AFTER_WINDOW = "after_window"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
WRONG_DIRECTION = "wrong_direction"


@dataclass(frozen=True)
class Verdict:
    """One call of the day as the rule sees it."""

    call: CallFact
    refusal: str | None  # None when the call qualifies
    position: int | None  # 1-based place among the qualifying calls
    taken: bool


def refusal(terms: Terms, call: CallFact, tz: tzinfo) -> str | None:
    """Why the call does not qualify, or None when it does."""
    local = call.started_at.astimezone(tz).time()
    if terms.window_start is not None and local < terms.window_start:
        return BEFORE_WINDOW
    if terms.window_end is not None and local >= terms.window_end:
        return AFTER_WINDOW
    if call.duration_s <= terms.longer_than_s:
        return TOO_SHORT
    if terms.at_most_s is not None and call.duration_s > terms.at_most_s:
        return TOO_LONG
    if terms.direction != "any" and call.direction != terms.direction:
        return WRONG_DIRECTION
    return None


def explain(terms: Terms, day: date, calls: Iterable[CallFact], tz: tzinfo) -> list[Verdict]:
    """Every call of the agent that started on `day` (in the center's zone), in order, with
    the rule's verdict. On a day the rule does not apply to, nothing is taken."""
    todays = sorted((c for c in calls if c.started_at.astimezone(tz).date() == day),
                    key=lambda c: (c.started_at, c.serial_no))
    applies = terms.applies_on(day)
    verdicts, position = [], 0
    for call in todays:
        why = refusal(terms, call, tz)
        place = None
        if why is None:
            position += 1
            place = position
        taken = applies and place is not None and terms.nth_from <= place <= terms.nth_to
        verdicts.append(Verdict(call, why, place, taken))
    return verdicts


def sample(terms: Terms, day: date, calls: Iterable[CallFact], tz: tzinfo) -> list[str]:
    """The serial nos. the rule takes from one agent's calls on `day`."""
    return [v.call.serial_no for v in explain(terms, day, calls, tz) if v.taken]
