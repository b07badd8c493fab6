"""Bulk import of people from .xlsx or .csv: the columns, the check of each row, and what a
row becomes (app.imports reads the file and runs upload → preview → apply)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.extensions import db
from app.imports import Column, ImportBatch, Row, Spec, apply_rows, numbered, parse_date, rows_of
from app.people.models import Grade, Role, Status, Team, User
from app.people.services import PersonData, create_person, phone_problem

SPEC = Spec(
    kind="people",
    columns=(
        Column("employee_no", ("employee no.", "employee no", "工号"), required=True),
        Column("name", ("姓名",), required=True),
        Column("username", ("用户名", "登录名")),
        Column("phone", ("电话", "手机", "手机号")),
        Column("role", ("角色", "岗位"), required=True),
        Column("team", ("班组", "团队", "小组")),
        Column("grade", ("职级",)),
        Column("hire_date", ("hire date", "入职日期"), required=True),
        Column("probation_until", ("probation until", "试用期至", "试用期截止")),
    ),
    max_rows=5000,
    too_many=lambda n: _("At most %(n)d people per file.", n=n),
)
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
TEMPLATE_EXAMPLE = ["CF2001", "张三", "zhangsan", "13800001234", "座席员", "", "普通",
                    "2026-03-01", "2026-06-01"]


@dataclass
class RowCheck(Row):
    """One data row: its line number, raw values, the person it makes, and its problems."""

    person: PersonData | None = None


def _lookup(aliases: dict, value: str) -> str | None:
    lowered = value.strip().lower()
    for code, names in aliases.items():
        if lowered in names:
            return str(code)
    return None


def check_rows(rows: list[dict[str, str]]) -> list[RowCheck]:
    """Check every row against the same rules as the person form, plus duplicates in the file."""
    teams = {t.name.lower(): t.id for t in db.session.scalars(select(Team))}
    taken_names = set(db.session.scalars(select(func.lower(User.username))))
    taken_numbers = set(db.session.scalars(select(func.lower(User.employee_no))))
    seen_names: dict[str, int] = {}
    seen_numbers: dict[str, int] = {}
    checks = []
    for line, values in numbered(rows):
        check = RowCheck(line=line, values=values)
        checks.append(check)
        problems = check.problems
        number = values.get("employee_no", "")
        name = values.get("name", "")
        username = (values.get("username") or number).strip().lower()
        if not number:
            problems.append(_("Employee no. is missing."))
        elif len(number) > 32 or not number.replace("-", "").isalnum():
            problems.append(_("Employee no. may hold letters, digits and - only, up to 32."))
        elif number.lower() in taken_numbers:  # employee nos. are unique ignoring case
            problems.append(_("Employee no. %(no)s is already in use.", no=number))
        elif number.lower() in seen_numbers:
            problems.append(_("Employee no. %(no)s appears again (line %(line)d).",
                              no=number, line=seen_numbers[number.lower()]))
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
        hire = parse_date(values.get("hire_date", ""))
        if hire is None:
            problems.append(_("Hire date must be a date such as 2026-03-01."))
        probation = None
        if values.get("probation_until"):
            probation = parse_date(values["probation_until"])
            if probation is None:
                problems.append(_("Probation end must be a date such as 2026-06-01."))
            elif hire and probation < hire:
                problems.append(_("Probation cannot end before the hire date."))
        phone = values.get("phone", "")
        if len(phone) > 32:
            problems.append(_("Phone is longer than 32 characters."))
        elif phone and (problem := phone_problem(phone)):
            problems.append(problem)
        if number:
            seen_numbers.setdefault(number.lower(), check.line)
        if username:
            seen_names.setdefault(username, check.line)
        if not problems:
            check.person = PersonData(
                username=username, employee_no=number, name=name, phone=phone, role=role,
                team_id=team_id, grade=grade, hire_date=hire, probation_until=probation,
                status=Status.ACTIVE,
            )
    return checks


def apply(batch: ImportBatch, actor: User, now: datetime) -> list[tuple[User, str]]:
    """Create every person of the batch in this transaction, or raise Refusal and save none."""
    created = apply_rows(batch, check_rows(rows_of(batch)),
                         lambda checks: [create_person(check.person) for check in checks], now)
    audit.record("people.import", batch, actor=actor,
                 after={"filename": batch.filename, "people": len(created)})
    return created
