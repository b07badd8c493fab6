"""`make bench`, second part: the quality area at the size of a large center.

On a throwaway SQLite database it builds 500 agents with a one-million-call log (a month of
about 33,000 calls a day) and a month of 60,000 published evaluations, then times, through
the same services the pages use:

- the day's sample of a published rule for the 500 agents   target: under 1 s
- importing 100,000 calls from a .csv (parse, check every row, store)   under 30 s
- the monthly report over the 60,000 evaluations   under 500 ms

Building the data is not timed. Each timing is the best of a few runs (the import runs once
on a fresh batch of serial nos. each time). Exit status 0 even when a target is missed.
Knobs: QBENCH_CALLS (default 1,000,000), QBENCH_EVALUATIONS (60,000), QBENCH_IMPORT (100,000).
"""

from __future__ import annotations

import io
import os
import random
import secrets
import sqlite3
import sys
import tempfile
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AGENTS = 500
CALLS = int(os.environ.get("QBENCH_CALLS", "1000000"))
EVALUATIONS = int(os.environ.get("QBENCH_EVALUATIONS", "60000"))
IMPORT = int(os.environ.get("QBENCH_IMPORT", "100000"))
DAYS = 30
SQL_TIME = "%Y-%m-%d %H:%M:%S.%f"


def build(db_path: Path, rng: random.Random) -> dict:
    """People, calls, a scorecard and evaluations, written straight into SQLite."""
    conn = sqlite3.connect(db_path)
    now = datetime.now(UTC).strftime(SQL_TIME)
    conn.execute("INSERT INTO team (name, created_at, version) VALUES ('大型中心', ?, 1)", (now,))
    team_id = conn.execute("SELECT max(id) FROM team").fetchone()[0]
    conn.executemany(
        'INSERT INTO "user" (username, employee_no, name, phone, role, team_id, grade, '
        "hire_date, status, password_hash, must_change_password, session_epoch, locale, "
        "created_at, version) VALUES (?, ?, ?, '', ?, ?, ?, '2024-01-01', 'active', 'x', 0, "
        "1, '', ?, 1)",
        [*((f"big{n}", f"B{n:05d}", f"座席{n}", "agent", team_id, "junior", now)
           for n in range(AGENTS)),
         ("bigqa1", "BQ001", "质检甲", "qa", None, None, now),
         ("bigqa2", "BQ002", "质检乙", "qa", None, None, now)])
    agents = [r[0] for r in conn.execute("SELECT id FROM \"user\" WHERE role = 'agent' "
                                         "AND username LIKE 'big%' ORDER BY id")]
    reviewers = [r[0] for r in conn.execute("SELECT id FROM \"user\" WHERE username LIKE "
                                            "'bigqa%' ORDER BY id")]
    today = date.today()
    first = today - timedelta(days=DAYS)
    per_day_agent = max(1, -(-CALLS // (DAYS * AGENTS)))  # at least CALLS in all

    def calls():
        n = 0
        for d in range(DAYS):
            day = first + timedelta(days=d)
            base = datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC)  # 08:30 Shanghai
            for agent in agents:
                minute = 0
                for seq in range(per_day_agent):
                    minute += rng.randint(3, 14)
                    started = base + timedelta(minutes=minute)
                    n += 1
                    yield (f"BIG{n:08d}", agent, started.strftime(SQL_TIME),
                           rng.randint(20, 900), "in" if seq % 5 else "out", "", "", "api", now)

    conn.executemany(
        "INSERT INTO call (serial_no, agent_id, started_at, duration_s, direction, "
        "customer_number, recording_url, source, imported_at) VALUES (?,?,?,?,?,?,?,?,?)",
        calls())
    conn.commit()
    total_calls = conn.execute("SELECT count(*) FROM call").fetchone()[0]
    conn.close()
    return {"agents": agents, "reviewers": reviewers, "first": first, "today": today,
            "calls": total_calls, "team_id": team_id}


def add_evaluations(db_path: Path, world: dict, version_id: int, items: list[tuple[int, int]],
                    rng: random.Random) -> int:
    """EVALUATIONS published evaluations over the last month, with their deductions."""
    conn = sqlite3.connect(db_path)
    call_ids = [r[0] for r in conn.execute(
        "SELECT id, agent_id FROM call ORDER BY id LIMIT ?", (EVALUATIONS,))]
    agents = dict(conn.execute("SELECT id, agent_id FROM call ORDER BY id LIMIT ?",
                               (EVALUATIONS,)))
    month_start = world["today"].replace(day=1)
    rows, deductions = [], []
    first_id = (conn.execute("SELECT coalesce(max(id), 0) FROM evaluation").fetchone()[0]) + 1
    for n, call_id in enumerate(call_ids):
        published = datetime(month_start.year, month_start.month, month_start.day, 2,
                             tzinfo=UTC) + timedelta(minutes=n % (27 * 24 * 60))
        ticks = [item for item in items if rng.random() < .08]
        score = max(0, 100 - sum(points for _item, points in ticks))
        stamp = published.strftime(SQL_TIME)
        rows.append((first_id + n, call_id, agents[call_id], world["reviewers"][n % 2],
                     version_id, "抽查", "published", score, stamp, stamp))
        deductions.extend((first_id + n, item, points) for item, points in ticks)
    conn.executemany(
        "INSERT INTO evaluation (id, call_id, agent_id, reviewer_id, scorecard_version_id, "
        "off_sample_reason, status, score, created_at, published_at, version) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,1)", rows)
    conn.executemany("INSERT INTO deduction (evaluation_id, item_id, points, note) "
                     "VALUES (?,?,?,'')", deductions)
    conn.commit()
    conn.close()
    return len(rows)


def best(runs: int, work) -> float:
    """The fastest of `runs` timings of `work()`, in seconds."""
    times = []
    for _ in range(runs):
        began = clock.perf_counter()
        work()
        times.append(clock.perf_counter() - began)
    return min(times)


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="callfloor-qbench-"))
    db_path = tmp / "q.sqlite"
    os.environ.update(DATABASE_URL=f"sqlite:///{db_path}", SECRET_KEY=secrets.token_hex(32),
                      CALLFLOOR_INSTANCE=str(tmp))
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.people.models import User
    from app.qa import calls, reports, rules, scorecards
    from app.qa.models import RuleStatus, SampledCall, SampleDraw, SamplingRule

    app = create_app()
    rng = random.Random(7)  # noqa: S311 — repeatable bench data
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    began = clock.perf_counter()
    world = build(db_path, rng)
    print(f"built {AGENTS} agents and {world['calls']:,} calls in "
          f"{clock.perf_counter() - began:.0f} s")
    results = []
    with app.app_context():  # no request: every write transaction is BEGIN IMMEDIATE
        boss = db.session.scalar(db.select(User).where(User.username == "bigqa1"))
        card = scorecards.create("大型质检表", boss)
        category = scorecards.add_category(card, "服务", boss)
        items = [scorecards.add_item(card, category, f"扣分项{n}", 2 + n % 9, "", boss)
                 for n in range(12)]
        version = scorecards.latest(card)
        rule = SamplingRule(name="每人第2通", scope="all", first_day=world["first"],
                            window_start=time(11), longer_than_s=200, nth_from=2, nth_to=2,
                            status=RuleStatus.PUBLISHED, created_by_id=boss.id,
                            published_at=datetime.now(UTC) - timedelta(days=DAYS + 2))
        db.session.add(rule)
        db.session.flush()
        version_id, pairs, rule_id = version.id, [(i.id, i.points) for i in items], rule.id
        db.session.commit()
        db.session.remove()  # hold no transaction while sqlite3 writes beside SQLAlchemy
        added = add_evaluations(db_path, world, version_id, pairs, rng)
        rule = db.session.get(SamplingRule, rule_id)
        day = world["today"] - timedelta(days=3)

        def draw_once():
            db.session.execute(db.delete(SampledCall))
            db.session.execute(db.delete(SampleDraw))
            db.session.commit()
            began = clock.perf_counter()
            made = rules.draw(rule, day, datetime.now(UTC))
            db.session.commit()
            draw_once.seconds = min(getattr(draw_once, "seconds", 1e9),
                                    clock.perf_counter() - began)
            draw_once.picks = len(made.picks)

        for _ in range(3):
            draw_once()
        results.append((f"sample of a day: {AGENTS} agents, {world['calls']:,}-call log "
                        f"({draw_once.picks} calls taken)", draw_once.seconds, 1.0))

        stamp = [0]

        def import_once():
            stamp[0] += 1
            text = io.StringIO()
            text.write("录音流水号,工号,开始时间,通话时长,呼叫方向,客户号码\n")
            for n in range(IMPORT):
                text.write(f"IMP{stamp[0]}-{n:07d},B{n % AGENTS:05d},"
                           f"{day.isoformat()} {8 + n % 12:02d}:{n % 60:02d}:{n % 59:02d},"
                           f"{30 + n % 600},{'呼入' if n % 4 else '呼出'},1380013{n % 10000:04d}\n")
            data = text.getvalue().encode("utf-8")
            rows = calls.SPEC.parse("calls.csv", data)
            checked = calls.check_rows(rows)
            if any(r.problems for r in checked):
                raise RuntimeError(f"the bench's own rows are refused: {checked[0].problems}")
            stored = calls.store(checked, "file", what="bench")
            db.session.commit()
            if stored.added != IMPORT:
                raise RuntimeError(f"{stored.added} calls stored, not {IMPORT}")

        results.append((f"import {IMPORT:,} calls from .csv (parse, check, store)",
                        best(2, import_once), 30.0))
        month_day = world["today"].replace(day=1) + timedelta(days=10)
        results.append((f"monthly report over {added:,} evaluations (per agent)",
                        best(5, lambda: reports.build("month", month_day, "agent")), 0.5))
        results.append((f"monthly report over {added:,} evaluations (per reviewer)",
                        best(5, lambda: reports.build("month", month_day, "reviewer")), 0.5))
    print()
    width = max(len(label) for label, _s, _t in results)
    print(f"{'work'.ljust(width)}  {'seconds':>8}  {'target':>7}  verdict")
    for label, seconds, target in results:
        verdict = "PASS" if seconds < target else "FAIL"
        print(f"{label.ljust(width)}  {seconds:8.3f}  {target:7.1f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
