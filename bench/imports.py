"""`make bench`, third part: a 2,000-row roster import, timed the way a lead does it.

On a throwaway SQLite database (migrated, one team with a lead and 20 agents), the lead signs
in through the real form and imports a .csv of 2,000 shifts through the pages, as
tests/staff/test_roster_import.py does (the test checks what the import does; this times it):

- upload: the file read and its rows kept as a batch          target: under 2 s
  (SECURITY.md: any file up to the upload limit is answered within 2 seconds)
- preview: every row checked and listed with its problems     (reported)
- apply: every row checked again, the shifts created in one transaction   (reported)
- the whole import, upload to applied                         target: under 20 s
  (the bound tests/staff/test_roster_import.py used to assert)

Each run imports a new file on days no earlier run used; the table shows the median and the
best of the runs. Exit status 0 even when a target is missed (1 only when the bench itself
fails: a refused file or a wrong number of shifts).
Knobs: IBENCH_ROWS (default 2,000), IBENCH_RUNS (5).
"""

from __future__ import annotations

import io
import os
import re
import secrets
import statistics
import sys
import tempfile
import time as clock
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROWS = int(os.environ.get("IBENCH_ROWS", "2000"))
RUNS = int(os.environ.get("IBENCH_RUNS", "5"))
AGENTS = 20
PASSWORD = "bench roster password"  # noqa: S105 — a throwaway account in a throwaway database
TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def roster_csv(numbers: list[str], first_day: date, rows: int) -> bytes:
    """`rows` shifts, 9 to 6: each person one a day, the people in turn."""
    lines = ["工号,日期,开始,结束,班次\r\n"]
    for n in range(rows):
        day = first_day + timedelta(days=n // len(numbers))
        lines.append(f"{numbers[n % len(numbers)]},{day.isoformat()},09:00,18:00,早班\r\n")
    return "".join(lines).encode()


def token_of(html: str) -> str:
    match = TOKEN.search(html)
    if not match:
        raise RuntimeError("the page carries no CSRF token")
    return match.group(1)


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="callfloor-ibench-"))
    os.environ.update(DATABASE_URL=f"sqlite:///{tmp / 'i.sqlite'}",
                      SECRET_KEY=secrets.token_hex(32), CALLFLOOR_INSTANCE=str(tmp))
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.people.models import Role, Status, Team, User
    from app.people.passwords import hash_password
    from app.staff.models import Shift
    from app.timeutil import center_today

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        digest = hash_password(PASSWORD)
        team = Team(name="排班组")
        db.session.add(team)
        db.session.flush()

        def person(username: str, number: str, role: str) -> User:
            return User(username=username, employee_no=number, name=f"排班{number}", phone="",
                        role=role, team_id=team.id, grade="junior" if role == Role.AGENT
                        else None, hire_date=date(2024, 1, 1), status=Status.ACTIVE,
                        password_hash=digest, must_change_password=False)

        lead = person("benchlead", "BL001", Role.LEAD)
        numbers = [f"BR{n:03d}" for n in range(AGENTS)]
        db.session.add_all([lead, *(person(f"br{n}", n, Role.AGENT) for n in numbers)])
        db.session.flush()
        team.lead_id = lead.id
        db.session.commit()
        first_day = center_today() + timedelta(days=30)
        db.session.remove()

    client = app.test_client()
    signed_in = client.post("/login", data={
        "username": "benchlead", "password": PASSWORD,
        "csrf_token": token_of(client.get("/login").text)})
    if signed_in.status_code != 303:
        raise RuntimeError(f"the bench lead cannot sign in ({signed_in.status_code})")

    days_per_run = -(-ROWS // AGENTS) + 7
    phases: dict[str, list[float]] = {"upload": [], "preview": [], "apply": [], "whole": []}
    for run in range(RUNS):
        content = roster_csv(numbers, first_day + timedelta(days=run * days_per_run), ROWS)
        token = token_of(client.get("/shifts/import").text)
        began = clock.perf_counter()
        uploaded = client.post("/shifts/import", data={
            "csrf_token": token, "file": (io.BytesIO(content), "roster.csv")},
            content_type="multipart/form-data")
        after_upload = clock.perf_counter()
        if uploaded.status_code != 303:
            raise RuntimeError(f"the upload was refused ({uploaded.status_code})")
        batch_url = uploaded.headers["Location"]
        preview = client.get(batch_url)
        after_preview = clock.perf_counter()
        if preview.status_code != 200:
            raise RuntimeError(f"the preview failed ({preview.status_code})")
        applied = client.post(batch_url, data={"csrf_token": token_of(preview.text),
                                                 "confirmed": "yes"})
        done = clock.perf_counter()
        if applied.status_code != 303:
            raise RuntimeError(f"the import was refused ({applied.status_code})")
        phases["upload"].append(after_upload - began)
        phases["preview"].append(after_preview - after_upload)
        phases["apply"].append(done - after_preview)
        phases["whole"].append(done - began)
    with app.app_context():
        stored = db.session.scalar(select(func.count(Shift.id)))
        db.session.remove()
    if stored != ROWS * RUNS:
        raise RuntimeError(f"{stored} shifts stored, not {ROWS * RUNS}")

    labels = {"upload": (f"upload {ROWS:,} rows (read the file, keep the rows)", 2.0),
              "preview": ("preview (check every row, list them)", None),
              "apply": (f"apply (check again, {ROWS:,} shifts in one transaction)", None),
              "whole": ("whole import, upload to applied", 20.0)}
    width = max(len(label) for label, _target in labels.values())
    print(f"roster import, {RUNS} runs of {ROWS:,} rows for {AGENTS} people\n")
    print(f"{'work'.ljust(width)}  {'median s':>8}  {'best s':>7}  {'target':>6}  verdict")
    for key, (label, target) in labels.items():
        median, best = statistics.median(phases[key]), min(phases[key])
        verdict = "" if target is None else ("PASS" if median < target else "FAIL")
        shown = "" if target is None else f"{target:.1f}"
        print(f"{label.ljust(width)}  {median:8.3f}  {best:7.3f}  {shown:>6}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
