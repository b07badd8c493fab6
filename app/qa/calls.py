"""The call log: rows from the telephony system, checked one by one, stored once per serial no.

Both ways in (an uploaded .xlsx/.csv file and the JSON API) hand rows of text to
`check_rows`; a batch with any problem saves nothing, and `store` inserts the good ones,
skipping serial nos. already in the log, so sending the same calls twice never makes two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from app import audit
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.imports import Column, ImportBatch, Row, Spec, apply_rows, cell_text, numbered, rows_of
from app.people.models import Role, User
from app.qa.models import Call, Direction
from app.settings import value as setting
from app.timeutil import center_tz, utcnow

MAX_DURATION_S = 24 * 3600
CHUNK = 2000  # rows per INSERT and per look-up: well under every driver's parameter limit
SPEC = Spec(
    kind="calls",
    columns=(
        Column("serial_no", ("serial no.", "serial", "录音流水号", "流水号"), required=True,
               label=_l("Recording serial no.")),
        Column("employee_no", ("employee no.", "工号", "座席工号"), required=True,
               label=_l("Employee no.")),
        Column("started_at", ("start", "start time", "开始时间", "呼叫时间"), required=True,
               label=_l("Start time")),
        Column("duration_s", ("duration", "时长", "通话时长", "通话时长(秒)"), required=True,
               label=_l("Duration (s)")),
        Column("direction", ("方向", "呼叫方向"), required=True, label=_l("Direction")),
        Column("customer_number", ("customer number", "客户号码", "主叫号码"),
               label=_l("Customer number")),
        Column("recording_url", ("recording", "录音地址", "录音链接"),
               label=_l("Recording address")),
    ),
    max_rows=200_000,
    too_many=lambda n: _("At most %(n)d calls per file.", n=n),
    template=False,
)
COLUMNS = SPEC.keys
REQUIRED = tuple(c.key for c in SPEC.columns if c.required)
DIRECTIONS = {"in": Direction.IN, "inbound": Direction.IN, "呼入": Direction.IN,
              "out": Direction.OUT, "outbound": Direction.OUT, "呼出": Direction.OUT}
SERIAL = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
WHOLE = re.compile(r"[0-9]{1,9}")
TAKES_CALLS = (Role.AGENT, Role.LEAD)  # the people a call log can name
NUMBER = re.compile(r"\+?[0-9][0-9 -]{0,30}")
TIME_FORMATS = tuple(f"{day}{between}{clock}"  # a start time as people type it
                     for day in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
                     for between in (" ", "T")
                     for clock in ("%H:%M:%S", "%H:%M")
                     ) + ("%Y年%m月%d日%H:%M", "%Y年%m月%d日%H:%M:%S")


@dataclass
class CallRow(Row):
    """One row as read, what it becomes, and what is wrong with it."""

    call: dict | None = None



def parse_started(value: str) -> datetime | None:
    """A start time: ISO 8601 with an offset, or a local time in the center's zone."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
        for fmt in TIME_FORMATS:
            try:
                moment = datetime.strptime(text, fmt)  # noqa: DTZ007 — the zone comes next
                break
            except ValueError:
                continue
    if moment is None or not 2000 <= moment.year <= 2999:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=center_tz())
    return moment.astimezone(UTC)


def recording_problem(url: str, hosts: set[str]) -> str | None:
    """Why a recording address cannot be kept, or None: "an absolute http(s) URL on the
    recording hosts the settings name", without control characters, at most 500 characters."""
    if len(url) > 500 or any(ord(c) < 32 or ord(c) == 127 for c in url):
        return _("The recording address must be one line of at most 500 characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # brackets of an IPv6 address left open, a port that is not a number
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        return _("The recording address must be a full address starting with http:// or "
                 "https://.")
    if host.lower() not in hosts:
        return _("%(host)s is not one of the recording servers in the settings.", host=host)
    return None


def check_rows(rows: list[dict], lines: list[int] | None = None) -> list[CallRow]:
    """Every row checked, with its problems in words; people looked up in one query. A row is
    named by its number in `lines` (a file's own row numbers), else by its place from 1 (the
    API's rows of data)."""
    lines = lines or list(range(1, len(rows) + 1))
    checked = [CallRow(line, {key: cell_text(row.get(key)) for key in COLUMNS})
               for line, row in zip(lines, rows, strict=True)]
    numbers = {row.values["employee_no"] for row in checked if row.values["employee_no"]}
    people = {}
    for chunk in _chunks(sorted({number.lower() for number in numbers})):
        people.update((number.lower(), (person, role)) for number, person, role in
                      db.session.execute(select(User.employee_no, User.id, User.role).where(
                          func.lower(User.employee_no).in_(chunk))))
    hosts = {host.lower() for host in setting("recording_hosts")}
    seen: dict[str, int] = {}
    for row in checked:
        values, problems = row.values, row.problems
        for key in REQUIRED:
            if not values[key]:
                problems.append(_("%(column)s is missing.", column=SPEC.column(key).title))
        serial = values["serial_no"]
        if serial and not SERIAL.fullmatch(serial):
            problems.append(_("The serial no. may hold only letters, digits and - _ . : "
                              "(at most 64)."))
        elif serial in seen:
            problems.append(_("The serial no. %(serial)s is also on row %(row)d.",
                              serial=serial, row=seen[serial]))
        elif serial:
            seen[serial] = row.line
        agent_id, role = people.get(values["employee_no"].lower(), (None, None))
        if values["employee_no"] and agent_id is None:
            problems.append(_("Nobody has the employee no. %(number)s.",
                              number=values["employee_no"]))
        elif values["employee_no"] and role not in TAKES_CALLS:
            problems.append(_("%(number)s does not take calls: calls belong to agents and "
                              "team leads.", number=values["employee_no"]))
            agent_id = None
        started = parse_started(values["started_at"]) if values["started_at"] else None
        if values["started_at"] and started is None:
            problems.append(_("The start time %(value)s is not a date and time "
                              "(2026-12-01 09:30:00).", value=values["started_at"]))
        elif started is not None and started > utcnow():
            problems.append(_("The start time %(value)s is in the future: a call is logged "
                              "once it has happened.", value=values["started_at"]))
        duration = None
        if values["duration_s"]:
            plain = WHOLE.fullmatch(values["duration_s"])  # int() would take "+5", "1_000"
            duration = int(plain.group()) if plain else -1
            if not 0 <= duration <= MAX_DURATION_S:
                problems.append(_("The duration must be a whole number of seconds from 0 to "
                                  "%(max)d.", max=MAX_DURATION_S))
        direction = DIRECTIONS.get(values["direction"].lower()) if values["direction"] else None
        if values["direction"] and direction is None:
            problems.append(_("The direction must be in or out (呼入 / 呼出)."))
        customer = values["customer_number"]
        if customer and not NUMBER.fullmatch(customer):
            problems.append(_("The customer number may hold only digits, spaces, - and a "
                              "leading +."))
        url = values["recording_url"]
        if url and (problem := recording_problem(url, hosts)):
            problems.append(problem)
        if not problems:
            row.call = {"serial_no": serial, "agent_id": agent_id, "started_at": started,
                        "duration_s": duration, "direction": str(direction),
                        "customer_number": re.sub(r"[ -]", "", customer), "recording_url": url}
    return checked


def checked_file(batch: ImportBatch) -> list[CallRow]:
    """The rows of an uploaded file checked, each named by its row in the spreadsheet."""
    pairs = numbered(rows_of(batch))
    return check_rows([row for _line, row in pairs], [line for line, _row in pairs])


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class Stored:
    """What a batch did to the log."""

    added: int
    already_there: int


def store(rows: list[CallRow], source: str, actor: User | None = None,
          what: str = "") -> Stored:
    """Insert the checked rows' calls whose serial no. the log does not hold yet, and write
    one audit row for the batch (counts only: customer numbers stay out of the trail)."""
    calls = [row.call for row in rows if row.call is not None]
    if len(calls) != len(rows):
        raise ValueError("store() takes only rows without problems")
    known: set[str] = set()
    for chunk in _chunks([c["serial_no"] for c in calls]):
        known.update(db.session.scalars(select(Call.serial_no).where(Call.serial_no.in_(chunk))))
    fresh = [dict(c, source=source) for c in calls if c["serial_no"] not in known]
    # Another batch may bring the same call at the same moment: the database keeps one.
    dialect = db.session.get_bind().dialect.name
    statement = (postgresql.insert(Call) if dialect == "postgresql" else sqlite.insert(Call))
    statement = statement.on_conflict_do_nothing(index_elements=["serial_no"])
    for chunk in _chunks(fresh):
        db.session.execute(statement, chunk)
    result = Stored(len(fresh), len(calls) - len(fresh))
    audit.record("call.import", object_type="call", object_id=what or source, actor=actor,
                 after={"source": source, "rows": len(calls), "added": result.added,
                        "already_there": result.already_there})
    return result


def apply(batch: ImportBatch, actor: User, now: datetime) -> Stored:
    """Store every call of an uploaded file, or raise Refusal and store none."""
    return apply_rows(batch, checked_file(batch),
                      lambda rows: store(rows, "file", actor=actor, what=f"file {batch.id}"), now)
