"""Bulk import of people from .xlsx or .csv: parse, check every row, then all-or-nothing."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.extensions import db
from app.imports import ImportBatch, ImportFileError
from app.people.models import Grade, Role, Status, Team, User
from app.people.services import PersonData, create_person
from app.workflow import Refusal

MAX_ROWS = 5000
COLUMNS = ("employee_no", "name", "username", "phone", "role", "team", "grade", "hire_date",
           "probation_until")
REQUIRED = ("employee_no", "name", "role", "hire_date")
HEADER_ALIASES = {
    "employee_no": {"employee_no", "employee no.", "employee no", "工号"},
    "name": {"name", "姓名"},
    "username": {"username", "用户名", "登录名"},
    "phone": {"phone", "电话", "手机", "手机号"},
    "role": {"role", "角色", "岗位"},
    "team": {"team", "班组", "团队", "小组"},
    "grade": {"grade", "职级"},
    "hire_date": {"hire_date", "hire date", "入职日期"},
    "probation_until": {"probation_until", "probation until", "试用期至", "试用期截止"},
}
ROLE_ALIASES = {
    Role.AGENT: {"agent", "座席员", "客服代表", "座席"},
    Role.QA: {"qa", "qa reviewer", "质检员", "质检"},
    Role.LEAD: {"lead", "team lead", "组长", "班长"},
    Role.SUPERVISOR: {"supervisor", "主管"},
}
GRADE_ALIASES = {
    Grade.JUNIOR: {"junior", "普通"},
    Grade.INTERMEDIATE: {"intermediate", "中级"},
    Grade.SENIOR: {"senior", "高级"},
}
TEMPLATE_HEADER = ["工号", "姓名", "用户名", "电话", "角色", "班组", "职级", "入职日期", "试用期至"]


@dataclass
class RowCheck:
    """One data row: its line number, raw values, the person it makes, and its problems."""

    line: int
    values: dict[str, str]
    person: PersonData | None = None
    problems: list[str] = field(default_factory=list)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """The cells of the first sheet of an .xlsx, or of a .csv (UTF-8 or GBK), as text."""
    return _read_rows(filename, data)


def _read_rows(filename: str, data: bytes) -> list[list[str]]:
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise ImportFileError(_("This is not a readable .xlsx file.")) from error
        sheet = book.worksheets[0]
        rows = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("The file's text encoding is not UTF-8 or GBK."))
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def parse(filename: str, data: bytes) -> list[dict[str, str]]:
    """Read the file into rows of named values; raise ImportFileError on a bad file."""
    rows = [row for row in _read_rows(filename, data) if any(cell for cell in row)]
    if not rows:
        raise ImportFileError(_("The file is empty."))
    header = [cell.strip().lower() for cell in rows[0]]
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        for name, aliases in HEADER_ALIASES.items():
            if title in aliases and name not in positions:
                positions[name] = index
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        raise ImportFileError(
            _("Columns missing from the first row: %(columns)s. Download the template to see them.",
              columns=", ".join(missing))
        )
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise ImportFileError(_("At most %(n)d people per file.", n=MAX_ROWS))
    return [
        {name: (row[i] if i < len(row) else "") for name, i in positions.items()} for row in body
    ]


def _lookup(aliases: dict, value: str) -> str | None:
    lowered = value.strip().lower()
    for code, names in aliases.items():
        if lowered in names:
            return str(code)
    return None


def _date(value: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    return None


def check_rows(rows: list[dict[str, str]]) -> list[RowCheck]:
    """Check every row against the same rules as the person form, plus duplicates in the file."""
    teams = {t.name.lower(): t.id for t in db.session.scalars(select(Team))}
    taken_names = set(db.session.scalars(select(func.lower(User.username))))
    taken_numbers = set(db.session.scalars(select(User.employee_no)))
    seen_names: dict[str, int] = {}
    seen_numbers: dict[str, int] = {}
    checks = []
    for offset, values in enumerate(rows):
        check = RowCheck(line=offset + 2, values=values)
        checks.append(check)
        problems = check.problems
        number = values.get("employee_no", "")
        name = values.get("name", "")
        username = (values.get("username") or number).strip().lower()
        if not number:
            problems.append(_("Employee no. is missing."))
        elif len(number) > 32 or not number.replace("-", "").isalnum():
            problems.append(_("Employee no. may hold letters, digits and - only, up to 32."))
        elif number in taken_numbers:
            problems.append(_("Employee no. %(no)s is already in use.", no=number))
        elif number in seen_numbers:
            problems.append(_("Employee no. %(no)s appears again (line %(line)d).",
                              no=number, line=seen_numbers[number]))
        if not name:
            problems.append(_("Name is missing."))
        elif len(name) > 64:
            problems.append(_("Name is longer than 64 characters."))
        if username in taken_names:
            problems.append(_("Username %(name)s is already taken.", name=username))
        elif username and username in seen_names:
            problems.append(_("Username %(name)s appears again (line %(line)d).",
                              name=username, line=seen_names[username]))
        elif not (2 <= len(username) <= 64) or not all(c.isascii() and (c.isalnum() or c in "._-")
                                                      for c in username):
            problems.append(_("Username must be 2–64 lower-case letters, digits, . _ or -."))
        role = _lookup(ROLE_ALIASES, values.get("role", ""))
        if role is None:
            problems.append(_("Role “%(value)s” is unknown.", value=values.get("role", "")))
        grade = None
        if values.get("grade"):
            grade = _lookup(GRADE_ALIASES, values["grade"])
            if grade is None:
                problems.append(_("Grade “%(value)s” is unknown.", value=values["grade"]))
        elif role == Role.AGENT:
            problems.append(_("Agents need a grade."))
        team_id = None
        if values.get("team"):
            team_id = teams.get(values["team"].strip().lower())
            if team_id is None:
                problems.append(_("Team “%(value)s” does not exist.", value=values["team"]))
        hire = _date(values.get("hire_date", ""))
        if hire is None:
            problems.append(_("Hire date must be a date such as 2026-03-01."))
        probation = None
        if values.get("probation_until"):
            probation = _date(values["probation_until"])
            if probation is None:
                problems.append(_("Probation end must be a date such as 2026-06-01."))
            elif hire and probation < hire:
                problems.append(_("Probation cannot end before the hire date."))
        phone = values.get("phone", "")
        if len(phone) > 32:
            problems.append(_("Phone is longer than 32 characters."))
        if number:
            seen_numbers.setdefault(number, check.line)
        if username:
            seen_names.setdefault(username, check.line)
        if not problems:
            check.person = PersonData(
                username=username, employee_no=number, name=name, phone=phone, role=role,
                team_id=team_id, grade=grade, hire_date=hire, probation_until=probation,
                status=Status.ACTIVE,
            )
    return checks


def store(filename: str, rows: list[dict[str, str]], owner: User) -> ImportBatch:
    """Keep the parsed rows between preview and confirmation."""
    batch = ImportBatch(kind="people", filename=filename[:200], created_by_id=owner.id,
                        payload=json.dumps(rows, ensure_ascii=False))
    db.session.add(batch)
    return batch


def rows_of(batch: ImportBatch) -> list[dict[str, str]]:
    """The rows a batch holds."""
    return json.loads(batch.payload)


def apply(batch: ImportBatch, now: datetime) -> list[tuple[User, str]]:
    """Create every person of the batch in this transaction, or raise Refusal and save none."""
    if batch.applied_at is not None:
        raise Refusal("file", _("This file has already been imported."))
    checks = check_rows(rows_of(batch))
    if any(c.problems for c in checks):
        raise Refusal("file", _("Some rows have problems; nothing was imported."))
    created = []
    for check in checks:
        created.append(create_person(check.person))
    batch.applied_at = now
    audit.record("people.import", batch, after={"filename": batch.filename,
                                                "people": len(created)})
    return created
