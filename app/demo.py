"""The demo center: a supervisor, three teams with their leads, two QA reviewers, 30 agents."""

import random
from datetime import datetime, time, timedelta

from app import areas, audit
from app.extensions import db
from app.inbox import services as inbox
from app.people.models import Grade, GradeChange, Role, Status, Team, User
from app.people.passwords import hash_password
from app.timeutil import center_today, center_tz, utcnow

DEMO_PASSWORD = "callfloor-demo"  # noqa: S105 — documented demo password, demo command only
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟",
         "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "晓东", "雪", "婷", "欣怡", "子涵",
         "浩然", "思远", "雨桐", "佳琪", "文博", "梓萱", "宇航", "嘉怡", "一鸣"]
TEAMS = ["一组 · 售前咨询", "二组 · 售后服务", "三组 · 投诉处理"]


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in used:
            used.add(name)
            return name


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"


def load_demo(seed: int = 2026) -> str:
    """Create the demo people and teams; return a one-line summary."""
    rng = random.Random(seed)  # noqa: S311 — repeatable demo data, not secrets
    today = center_today()
    digest = hash_password(DEMO_PASSWORD)
    used: set[str] = set()

    def person(username, no, role, hired_days_ago, team=None, grade=None, probation=False,
               start_grade=None):
        hired = today - timedelta(days=hired_days_ago)
        user = User(
            username=username, employee_no=no, name=_name(rng, used), phone=_phone(rng),
            role=role, team=team, grade=grade, hire_date=hired,
            probation_until=hired + timedelta(days=90) if probation else None,
            status=Status.ACTIVE, password_hash=digest, must_change_password=False,
        )
        db.session.add(user)
        if grade:
            db.session.add(
                GradeChange(user=user, to_grade=start_grade or grade, effective_on=hired)
            )
        return user

    boss = person("supervisor", "CF0001", Role.SUPERVISOR, 2200)
    db.session.flush()
    audit.record("demo.load", boss, actor=boss, after={"teams": len(TEAMS), "agents": 30})
    teams = []
    for number, team_name in enumerate(TEAMS, start=1):
        team = Team(name=team_name)
        db.session.add(team)
        lead = person(f"lead{number}", f"CF01{number:02d}", Role.LEAD, 1500 - number * 90,
                      team=team)
        db.session.flush()
        team.lead_id = lead.id
        teams.append(team)
    for number in (1, 2):
        person(f"qa{number}", f"CF02{number:02d}", Role.QA, 900 + number * 60)
    grades = [Grade.JUNIOR] * 12 + [Grade.INTERMEDIATE] * 11 + [Grade.SENIOR] * 7
    rng.shuffle(grades)
    for number in range(1, 31):
        grade = grades[number - 1]
        probation = number % 7 == 3  # a few recent hires still on probation
        days = rng.randint(20, 80) if probation else {
            Grade.JUNIOR: rng.randint(120, 400), Grade.INTERMEDIATE: rng.randint(400, 900),
            Grade.SENIOR: rng.randint(900, 2000),
        }[grade]
        agent = person(
            f"agent{number:02d}", f"CF1{number:03d}", Role.AGENT, days,
            team=teams[(number - 1) % 3], grade=Grade.JUNIOR if probation else grade,
            probation=probation, start_grade=Grade.JUNIOR,
        )
        if not probation and grade != Grade.JUNIOR:
            agent_hired = agent.hire_date
            db.session.add(GradeChange(
                user=agent, from_grade=Grade.JUNIOR, to_grade=grade,
                effective_on=agent_hired + timedelta(days=min(days - 10, 365)),
                note="年度考核晋升",
            ))
    db.session.commit()
    summaries = ["1 supervisor, 3 teams with leads, 2 QA reviewers, 30 agents"]
    for area in areas.registered():
        if area.demo is not None:
            summaries.append(area.demo(boss, teams, rng))
            db.session.commit()
    # What the areas told people about before today has been seen: only today's news is new.
    inbox.mark_read_before(datetime.combine(today, time(), center_tz()), utcnow())
    db.session.commit()
    return "; ".join(summaries)
