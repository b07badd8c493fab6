"""QA reports: counts, averages, score distribution, most deducted items and the trend, per
agent, team or reviewer, for a day, a week or a month; and the reviewers' consistency.

Everything is aggregated in SQL (a month can hold tens of thousands of evaluations), over the
published evaluations that count (calibration scores never do), by the day they were
published in the center's time zone.
"""

from __future__ import annotations

import calendar
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, and_, bindparam, case, func, select

from app import statements
from app.extensions import db
from app.people.models import Team, User
from app.qa.models import Deduction, Evaluation, EvaluationStatus, ScorecardItem
from app.qa.rules import day_bounds
from app.timeutil import center_tz

PERIODS = ("day", "week", "month")
GROUPS = ("agent", "team", "reviewer")
BUCKETS = [(0, 59), (60, 69), (70, 79), (80, 89), (90, 99), (100, 100)]


def bounds(period: str, day: date) -> tuple[date, date]:
    """The first and last day of the period holding `day`."""
    if period == "day":
        return day, day
    if period == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    first = day.replace(day=1)
    return first, first.replace(day=calendar.monthrange(day.year, day.month)[1])


def counted(agents=None, off_sample: bool = True) -> list:
    """The conditions of the evaluations a report counts (and the viewer may see), published
    between the bound values "start" and "end" (run with window()); without the off-sample
    ones when `off_sample` is False."""
    conditions = [Evaluation.status == EvaluationStatus.PUBLISHED,
                  Evaluation.calibration_id.is_(None),
                  Evaluation.published_at >= bindparam("start"),
                  Evaluation.published_at < bindparam("end")]
    if not off_sample:
        conditions.append(Evaluation.sampled_call_id.is_not(None))
    if agents is not None:
        conditions.append(agents)
    return conditions


def critical_count():
    """How many of the counted evaluations deducted a critical item (致命项): counted apart,
    as the score of such a call is 0 whatever else was deducted."""
    has_critical = select(Deduction.id).join(
        ScorecardItem, Deduction.item_id == ScorecardItem.id).where(
        Deduction.evaluation_id == Evaluation.id, ScorecardItem.critical.is_(True)).exists()
    return func.sum(case((has_critical, 1), else_=0))


def off_sample_count():
    """How many of the counted evaluations are off sample (calibration never counts, so an
    evaluation without a sampled call is off sample)."""
    return func.sum(case((Evaluation.sampled_call_id.is_(None), 1), else_=0))


def window(first: date, last: date) -> dict[str, datetime]:
    """The values counted() is run with: the UTC moments the first day starts and the last
    one ends."""
    return {"start": day_bounds(first)[0], "end": day_bounds(last)[1]}


@dataclass
class Row:
    """One agent, team or reviewer in a report."""

    key: int | None
    name: str
    count: int
    average: float
    lowest: int
    highest: int
    off_sample: int = 0
    critical: int = 0


@dataclass
class Report:
    """What the report page shows."""

    period: str
    first: date
    last: date
    group: str
    off_sample_included: bool = True
    count: int = 0
    off_sample: int = 0  # of `count`, the evaluations of calls outside the sample
    critical: int = 0  # of `count`, the evaluations that deducted a critical item
    average: float | None = None
    rows: list[Row] = field(default_factory=list)
    buckets: list[tuple[str, int]] = field(default_factory=list)
    items: list[tuple[str, int, int, bool]] = field(default_factory=list)  # + critical
    trend: list[tuple[date, float | None, int]] = field(default_factory=list)


def _grouped(group: str, conditions: list) -> Select:
    score = (func.count(Evaluation.id), func.avg(Evaluation.score), func.min(Evaluation.score),
             func.max(Evaluation.score), off_sample_count(), critical_count())
    if group == "team":
        return (select(Team.id, Team.name, *score)
                .select_from(Evaluation).join(User, Evaluation.agent_id == User.id)
                .outerjoin(Team, User.team_id == Team.id).where(*conditions)
                .group_by(Team.id, Team.name).order_by(Team.name))
    person = Evaluation.reviewer_id if group == "reviewer" else Evaluation.agent_id
    return (select(User.id, User.name, *score).select_from(Evaluation)
            .join(User, person == User.id).where(*conditions)
            .group_by(User.id, User.name).order_by(func.avg(Evaluation.score), User.name))


def _statements(group: str, dialect: str, agents=None,
                off_sample: bool = True) -> dict[str, Select]:
    """The report's five queries for a grouping (and the viewer's agents, if limited; with or
    without the off-sample evaluations)."""
    conditions = counted(agents, off_sample)
    if dialect == "sqlite":
        hour = func.strftime("%Y-%m-%d %H", Evaluation.published_at)
    else:
        hour = func.to_char(func.timezone("UTC", Evaluation.published_at), "YYYY-MM-DD HH24")
    return {
        "summary": select(
            func.count(Evaluation.id), func.avg(Evaluation.score), off_sample_count(),
            critical_count(),
            *(func.sum(case((and_(Evaluation.score >= low, Evaluation.score <= high), 1),
                            else_=0)) for low, high in BUCKETS)).where(*conditions),
        "rows": _grouped(group, conditions),
        "items": select(ScorecardItem.name, func.count(Deduction.id), func.sum(Deduction.points),
                        func.max(case((ScorecardItem.critical.is_(True), 1), else_=0)))
        .select_from(Deduction).join(Evaluation, Deduction.evaluation_id == Evaluation.id)
        .join(ScorecardItem, Deduction.item_id == ScorecardItem.id).where(*conditions)
        .group_by(ScorecardItem.name).order_by(func.count(Deduction.id).desc(),
                                               ScorecardItem.name).limit(10),
        "trend": select(hour, func.count(Evaluation.id), func.sum(Evaluation.score))
        .where(*conditions).group_by(hour),
    }


def build(period: str, day: date, group: str, agents=None, off_sample: bool = True) -> Report:
    """The report: five queries whatever the number of evaluations. Off-sample evaluations
    are counted and marked, or left out when `off_sample` is False."""
    first, last = bounds(period, day)
    report = Report(period, first, last, group, off_sample)
    dialect = db.session.get_bind().dialect.name
    if agents is None:
        # The center-wide report's statements are built once per grouping: building and keying
        # them cost more than running them over a month of evaluations (make bench, the
        # supervisor's monthly report: 437 requests a second with them kept, 241 without).
        queries = statements.once(("qa report", group, dialect, off_sample),
                                  lambda: _statements(group, dialect, off_sample=off_sample))
    else:
        queries = _statements(group, dialect, agents, off_sample)
    params = window(first, last)
    total, average, off, critical, *buckets = db.session.execute(queries["summary"],
                                                                 params).one()
    report.count, report.average = total, float(average) if average is not None else None
    report.off_sample, report.critical = int(off or 0), int(critical or 0)
    report.buckets = [(f"{low}–{high}" if low != high else str(low), int(n or 0))
                      for (low, high), n in zip(BUCKETS, buckets, strict=True)]
    report.rows = [Row(key, name or "—", n, float(avg), low, high, int(off or 0),
                       int(critical or 0))
                   for key, name, n, avg, low, high, off, critical in db.session.execute(
                       queries["rows"], params)]
    report.items = [(name, times, points, bool(critical))
                    for name, times, points, critical in db.session.execute(
                        queries["items"], params)]
    report.trend = trend(queries["trend"], first, last)
    return report


def trend(statement: Select, first: date, last: date) -> list[tuple[date, float | None, int]]:
    """The daily average over the period (a day's report shows the two weeks up to it).

    SQL groups the scores by UTC hour (a month is at most 744 groups, whatever the number of
    evaluations) and the hours are folded into the center's days here: exact for a zone whose
    offset is a whole number of hours, as the center's is.
    """
    if first == last:
        first = last - timedelta(days=13)
    tz = center_tz()
    sums: dict[date, list[float]] = {}
    for key, n, total in db.session.execute(statement, window(first, last)):
        local = datetime.strptime(key, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(tz).date()
        entry = sums.setdefault(local, [0, 0.0])
        entry[0] += n
        entry[1] += float(total or 0)
    days = []
    day = first
    while day <= last:
        n, total = sums.get(day, [0, 0.0])
        days.append((day, total / n if n else None, int(n)))
        day += timedelta(days=1)
    return days


@dataclass
class ItemConsistency:
    """How often each reviewer deducts one item, against the other reviewers."""

    name: str
    rates: dict[int, float]  # reviewer id -> share of their evaluations with the item
    others: dict[int, float]  # reviewer id -> the same share among everyone else


@dataclass
class Consistency:
    """The reviewers side by side over a period."""

    reviewers: list[tuple[int, str, int, float]]  # id, name, evaluations, average score
    center_average: float | None
    strictest: int | None
    most_lenient: int | None
    items: list[ItemConsistency]
    off_sample: dict[int, int] = field(default_factory=dict)  # reviewer id -> off-sample ones
    off_sample_included: bool = True


def consistency(period: str, day: date, off_sample: bool = True) -> Consistency:
    """Per reviewer: evaluations and average score against the center's; per deduction item:
    how often each reviewer deducts it against the others, over the same kind of calls (the
    period's sampled and off-sample calls, every agent; the sampled ones only when
    `off_sample` is False)."""
    first, last = bounds(period, day)
    conditions, params = counted(off_sample=off_sample), window(first, last)
    rows = db.session.execute(
        select(User.id, User.name, func.count(Evaluation.id), func.avg(Evaluation.score),
               off_sample_count())
        .join(User, Evaluation.reviewer_id == User.id).where(*conditions)
        .group_by(User.id, User.name).order_by(User.name), params).all()
    reviewers = [(rid, name, n, float(avg)) for rid, name, n, avg, _off in rows]
    off = {rid: int(n_off or 0) for rid, _name, _n, _avg, n_off in rows}
    total = sum(n for _r, _name, n, _a in reviewers)
    center = (sum(n * avg for _r, _name, n, avg in reviewers) / total) if total else None
    strictest = min(reviewers, key=lambda r: r[3])[0] if len(reviewers) > 1 else None
    lenient = max(reviewers, key=lambda r: r[3])[0] if len(reviewers) > 1 else None
    counts = {rid: n for rid, _name, n, _a in reviewers}
    ticks: dict[str, dict[int, int]] = {}
    for name, rid, times in db.session.execute(
            select(ScorecardItem.name, Evaluation.reviewer_id, func.count(Deduction.id))
            .select_from(Deduction).join(Evaluation, Deduction.evaluation_id == Evaluation.id)
            .join(ScorecardItem, Deduction.item_id == ScorecardItem.id).where(*conditions)
            .group_by(ScorecardItem.name, Evaluation.reviewer_id), params):
        ticks.setdefault(name, {})[rid] = times
    items = []
    for name in sorted(ticks):
        per = ticks[name]
        rates = {rid: per.get(rid, 0) / n for rid, n in counts.items() if n}
        others = {}
        for rid in counts:
            rest = total - counts[rid]
            others[rid] = ((sum(per.values()) - per.get(rid, 0)) / rest) if rest else 0.0
        items.append(ItemConsistency(name, rates, others))
    return Consistency(reviewers, center, strictest, lenient, items, off, off_sample)


FORMULA_STARTS = ("=", "+", "-", "@")


def safe_cell(value):
    """A cell a spreadsheet will not run: text that starts like a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_xlsx(report: Report, words: dict[str, str]) -> bytes:
    """The report as an .xlsx workbook: the rows, the items, the trend."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = words["scores"]
    sheet.append([words["period"], f"{report.first.isoformat()} – {report.last.isoformat()}"])
    sheet.append([words["off_sample"], report.off_sample if report.off_sample_included
                  else words["left_out"]])
    sheet.append([words["critical"], report.critical])
    sheet.append([words["by"], words["name"], words["count"], words["average"],
                  words["lowest"], words["highest"], words["off_sample"], words["critical"]])
    for row in report.rows:
        sheet.append([words["by"], safe_cell(row.name), row.count, round(row.average, 1),
                      row.lowest, row.highest, row.off_sample, row.critical])
    items = book.create_sheet(words["item"])
    items.append([words["item"], words["times"], words["points"], words["critical_item"]])
    for name, times, points, critical in report.items:
        items.append([safe_cell(name), times, points, words["yes"] if critical else None])
    days = book.create_sheet(words["day"])
    days.append([words["day"], words["average"], words["count"]])
    for day, average, n in report.trend:
        days.append([day.isoformat(), round(average, 1) if average is not None else None, n])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
