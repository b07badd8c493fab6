"""`make bench`, fourth part: an unknown name and a wrong password take the same time.

SECURITY.md: "Unknown user and wrong password look identical, in text, status and time."
tests/auth/test_sessions.py checks the text, status and headers, and that both answers run
one argon2 verification of the same cost; one timing sample of each proves nothing, so the
time is measured here, many samples of each.

On a throwaway SQLite database with the production argon2 parameters (m=19 MiB, t=2, p=1)
and the production throttles, it times the sign-in POST for an unknown name and for a real
name with a wrong password, interleaved, SAMPLES of each after a few untimed rounds. Every
sample uses its own account and its own client address, so neither the account lock (5
failures) nor the address limit (20 a minute) changes the path being timed.

It prints the median (and the 10th and 90th percentiles) of each and the ratio of the
medians; target: the medians within 10% of each other. Exit status 0 even when the target is
missed (1 only when the bench cannot run). Knob: SBENCH_SAMPLES (default 50).
"""

from __future__ import annotations

import os
import re
import secrets
import statistics
import sys
import tempfile
import time as clock
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SAMPLES = int(os.environ.get("SBENCH_SAMPLES", "50"))
WARMUP = 3
TOLERANCE = 0.10
PASSWORD = "bench sign-in password"  # noqa: S105 — throwaway accounts in a throwaway database
TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="callfloor-sbench-"))
    os.environ.update(DATABASE_URL=f"sqlite:///{tmp / 's.sqlite'}",
                      SECRET_KEY=secrets.token_hex(32), CALLFLOOR_INSTANCE=str(tmp))
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.people.models import Role, Status, User
    from app.people.passwords import hash_password

    app = create_app()  # the shipped defaults: argon2id m=19 MiB, t=2, p=1, real throttles
    cost = (app.config["ARGON2_MEMORY_KIB"], app.config["ARGON2_TIME_COST"],
            app.config["ARGON2_PARALLELISM"])
    rounds = WARMUP + SAMPLES
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        digest = hash_password(PASSWORD)  # one hash, the same for every account
        db.session.add_all([
            User(username=f"bench{n:04d}", employee_no=f"SB{n:04d}", name=f"计时{n}", phone="",
                 role=Role.AGENT, grade="junior", hire_date=date(2024, 1, 1),
                 status=Status.ACTIVE, password_hash=digest, must_change_password=False)
            for n in range(rounds)])
        db.session.commit()
        db.session.remove()

    def attempt(address: str, username: str) -> float:
        """One sign-in POST from its own address, timed; the form is fetched untimed."""
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        match = TOKEN.search(client.get("/login").text)
        if not match:
            raise RuntimeError("the sign-in page carries no CSRF token")
        began = clock.perf_counter()
        response = client.post("/login", data={
            "username": username, "password": "not the password", "csrf_token": match.group(1)})
        spent = clock.perf_counter() - began
        if response.status_code != 422:
            raise RuntimeError(f"sign-in answered {response.status_code}, not 422")
        return spent

    times: dict[str, list[float]] = {"unknown name": [], "wrong password": []}
    for n in range(rounds):
        pair = [("unknown name", f"ghost{n:04d}"), ("wrong password", f"bench{n:04d}")]
        for side, (label, username) in enumerate(pair if n % 2 else reversed(pair)):
            # Neither always goes first; every attempt from an address of its own.
            spent = attempt(f"10.{side}.{n // 250}.{n % 250 + 1}", username)
            if n >= WARMUP:
                times[label].append(spent)

    print(f"sign-in answer time, {SAMPLES} samples each, argon2id m={cost[0]} KiB, "
          f"t={cost[1]}, p={cost[2]}\n")
    print(f"{'answer'.ljust(15)}  {'median ms':>9}  {'p10 ms':>7}  {'p90 ms':>7}")
    medians = {}
    for label, values in times.items():
        medians[label] = statistics.median(values)
        print(f"{label.ljust(15)}  {medians[label] * 1000:9.1f}  "
              f"{percentile(values, 0.1) * 1000:7.1f}  {percentile(values, 0.9) * 1000:7.1f}")
    ratio = medians["unknown name"] / medians["wrong password"]
    verdict = "PASS" if abs(ratio - 1) <= TOLERANCE else "FAIL"
    print(f"\nunknown / wrong, medians: {ratio:.3f}  (target 1 ± {TOLERANCE:.2f})  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
