"""Rules and state changes for people and teams. Plain arguments, no HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, func, select

from app import audit, statements
from app.extensions import db
from app.people.models import GradeChange, Role, Status, Team, User
from app.people.passwords import hash_password, one_time_password
from app.timeutil import center_today
from app.workflow import Refusal

PERSON_FIELDS = [
    "username", "employee_no", "name", "phone", "role", "team_id", "grade",
    "hire_date", "probation_until", "status",
]


@dataclass
class PersonData:
    """The editable facts about a person."""

    username: str
    employee_no: str
    name: str
    phone: str
    role: str
    team_id: int | None
    grade: str | None
    hire_date: date
    probation_until: date | None
    status: str = Status.ACTIVE

    def as_dict(self) -> dict[str, Any]:
        """Field name to value."""
        return {name: getattr(self, name) for name in PERSON_FIELDS}


MOBILE = re.compile(r"(?:\+?86)?1[3-9][0-9]{9}")  # 11 digits, the second 3 to 9
LANDLINE = re.compile(r"0[1-9][0-9]{8,10}")  # an area code 0xx or 0xxx, then 7 or 8 digits
SERVICE = re.compile(r"[48]00[0-9]{7}")  # 400 and 800 numbers


def phone_problem(phone: str) -> str | None:
    """Why a phone number is not one, or None: a Chinese mobile (138 0013 8000, +86 ...), a
    landline with its area code (010-12345678, 0755 1234567) or a 400/800 number; spaces
    and dashes as people group digits."""
    digits = re.sub(r"[ -]", "", phone.strip())
    if not digits or any(p.fullmatch(digits) for p in (MOBILE, LANDLINE, SERVICE)):
        return None
    return _("Enter a mobile number (11 digits) or a landline with its area code, such as "
             "010-12345678.")


def check_person(data: PersonData, existing: User | None = None) -> None:
    """The rules every person record obeys; raises Refusal on the first broken one."""
    taken = select(User.id).where(func.lower(User.username) == data.username.lower())
    if existing is not None:
        taken = taken.where(User.id != existing.id)
    if db.session.scalar(taken) is not None:
        raise Refusal("username", _("This username is already taken."))
    taken = select(User.id).where(func.lower(User.employee_no) == data.employee_no.lower())
    if existing is not None:
        taken = taken.where(User.id != existing.id)
    if db.session.scalar(taken) is not None:
        raise Refusal("employee_no", _("This employee no. is already in use."))
    if data.phone and (problem := phone_problem(data.phone)):
        raise Refusal("phone", problem)
    if data.role == Role.AGENT and not data.grade:
        raise Refusal("grade", _("Agents need a grade."))
    if data.probation_until is not None and data.probation_until < data.hire_date:
        raise Refusal("probation_until", _("Probation cannot end before the hire date."))
    if data.team_id is not None and db.session.get(Team, data.team_id) is None:
        raise Refusal("team_id", _("Choose a team from the list."))
    if existing is not None and existing.role == Role.LEAD and data.role != Role.LEAD:
        led = db.session.scalar(select(Team).where(Team.lead_id == existing.id))
        if led is not None:
            raise Refusal(
                "role", _("%(name)s leads team %(team)s; name another lead first.",
                          name=existing.name, team=led.name)
            )


def create_person(data: PersonData) -> tuple[User, str]:
    """Add a person with a one-time password; returns the person and that password."""
    check_person(data)
    password = one_time_password()
    user = User(**data.as_dict(), password_hash=hash_password(password), must_change_password=True)
    db.session.add(user)
    db.session.flush()
    if data.grade:
        db.session.add(GradeChange(
            user=user, from_grade=None, to_grade=data.grade, effective_on=data.hire_date,
            note="", changed_by_id=_actor_id(),
        ))
    audit.record("person.create", user, after=data.as_dict())
    return user, password


def update_person(user: User, data: PersonData) -> None:
    """Change a person's record. A new role or leaving ends their sessions."""
    check_person(data, existing=user)
    before = audit.snapshot(user, PERSON_FIELDS)
    if data.grade != user.grade and data.grade:
        db.session.add(GradeChange(
            user=user, from_grade=user.grade, to_grade=data.grade,
            effective_on=center_today(), note="", changed_by_id=_actor_id(),
        ))
    ends_sessions = data.role != user.role or (
        data.status == Status.LEFT and user.status != Status.LEFT
    )
    for name, value in data.as_dict().items():
        setattr(user, name, value)
    if ends_sessions:
        user.end_sessions()
    if user.status == Status.LEFT:
        _release_team(user)
    audit.record("person.update", user, before=before, after=audit.snapshot(user, PERSON_FIELDS))


def deactivate_person(user: User) -> None:
    """Mark a person as left: they can no longer sign in and every session ends."""
    if user.status == Status.LEFT:
        raise Refusal("status", _("This person has already left."))
    before = {"status": user.status}
    user.status = Status.LEFT
    user.end_sessions()
    _release_team(user)
    audit.record("person.deactivate", user, before=before, after={"status": user.status})


def _release_team(user: User) -> None:
    for team in db.session.scalars(select(Team).where(Team.lead_id == user.id)):
        team.lead_id = None


def promote(user: User, to_grade: str, effective_on: date, note: str) -> GradeChange:
    """Change an agent's grade; the history keeps every step."""
    if user.role != Role.AGENT:
        raise Refusal("to_grade", _("Only agents have grades."))
    if to_grade == user.grade:
        raise Refusal("to_grade", _("This is already the current grade."))
    change = GradeChange(
        user=user, from_grade=user.grade, to_grade=to_grade, effective_on=effective_on,
        note=note, changed_by_id=_actor_id(),
    )
    db.session.add(change)
    before = {"grade": user.grade}
    user.grade = to_grade
    audit.record("person.grade", user, before=before,
                 after={"grade": to_grade, "effective_on": effective_on, "note": note})
    return change


def confirm_employment(user: User, today: date) -> None:
    """提前转正: end probation early, keeping the date it happened."""
    if not user.on_probation(today):
        raise Refusal("probation_until", _("This person is not on probation."))
    before = {"probation_until": user.probation_until}
    user.probation_until = None
    user.confirmed_early_on = today
    audit.record("person.confirm", user, before=before,
                 after={"probation_until": None, "confirmed_early_on": today})


def reset_password(user: User) -> str:
    """Give a person a new one-time password; their sessions end."""
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.end_sessions()
    audit.record("person.reset_password", user)
    return password


def save_team(team: Team | None, name: str, lead_id: int | None) -> Team:
    """Create or rename a team and name its lead (who joins the team)."""
    clash = select(Team.id).where(func.lower(Team.name) == func.lower(name))
    if team is not None:
        clash = clash.where(Team.id != team.id)
    if db.session.scalar(clash) is not None:
        raise Refusal("name", _("A team with this name exists."))
    lead = db.session.get(User, lead_id) if lead_id else None
    if lead_id and (lead is None or lead.role != Role.LEAD or lead.status == Status.LEFT):
        raise Refusal("lead_id", _("Choose a current team lead."))
    if lead is not None:
        other = db.session.scalar(
            select(Team).where(Team.lead_id == lead.id, Team.id != (team.id if team else -1))
        )
        if other is not None:
            raise Refusal("lead_id", _("%(name)s already leads %(team)s.",
                                         name=lead.name, team=other.name))
    before = {"name": team.name, "lead_id": team.lead_id} if team else None
    if team is None:
        team = Team(name=name)
        db.session.add(team)
    team.name = name
    team.lead_id = lead.id if lead else None
    db.session.flush()
    if lead is not None and lead.team_id != team.id:
        lead.team_id = team.id
    audit.record("team.create" if before is None else "team.update", team,
                 before=before, after={"name": name, "lead_id": team.lead_id})
    return team


def _head_count_statements() -> dict[str, Select]:
    current = User.status != Status.LEFT
    return {
        "team": select(Team.name, func.count(User.id))
        .select_from(User).outerjoin(Team, User.team_id == Team.id)
        .where(current).group_by(Team.id, Team.name).order_by(Team.id.asc().nulls_last()),
        "role": select(User.role, func.count(User.id)).where(current).group_by(User.role),
        "status": select(User.status, func.count(User.id)).group_by(User.status),
    }


def head_counts() -> dict[str, list[tuple[Any, int]]]:
    """People by team, role and status: three grouped queries whatever the size, built once
    (app/statements.py): the supervisor's home page asks on every view, and answered 316
    requests a second with them kept against 266 built per request (bench/compare.py, page by
    page interleaved, / supervisor, medians of five rounds)."""
    found = statements.once(("head counts",), _head_count_statements)
    return {key: list(db.session.execute(statement)) for key, statement in found.items()}


def _actor_id() -> int | None:

    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None


def people_names(ids: list[int]) -> dict[int, str]:
    """People as the audit trail names them: 张三 (CF1001)."""
    rows = db.session.execute(select(User.id, User.name, User.employee_no).where(
        User.id.in_(ids))) if ids else []
    return {pid: f"{name} ({number})" for pid, name, number in rows}


def team_names(ids: list[int]) -> dict[int, str]:
    """Teams by their names."""
    rows = db.session.execute(select(Team.id, Team.name).where(Team.id.in_(ids))) if ids else []
    return dict(rows.all()) if ids else {}
