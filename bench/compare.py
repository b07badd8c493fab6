"""Compare two versions of the app page by page: `python bench/compare.py BEFORE AFTER`.

BEFORE and AFTER are source trees (for instance `git worktree add /tmp/before <commit>`, with
its catalogs compiled). Each gets its own throwaway demo center and its own gunicorn, both
started at once, and every page of `make bench` is loaded on one, then the other, ROUNDS
times (wrk, a warm-up, then BENCH_DURATION seconds). Interleaving page by page, seconds apart,
puts both versions under the same machine: run after run, whole `make bench` runs on a shared
2-core machine moved pages by ±20% that had not changed at all.

Prints, per page, the median requests/s and p95 of each version and the change, and writes
bench/results/compare.json. A measurement: the exit status is 0 unless the bench cannot run.

Knobs: ROUNDS (default 3), BENCH_DURATION (s, default 4), BENCH_WARMUP (s, default 1),
BENCH_PAGES (labels, comma-separated).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

os.environ.setdefault("BENCH_DURATION", "4")
os.environ.setdefault("BENCH_WARMUP", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402  (the bench's own helpers, with the knobs set above)

ROUNDS = int(os.environ.get("ROUNDS", "3"))
OUT = Path(__file__).resolve().parent / "results" / "compare.json"


class Side:
    """One version: its tree, its throwaway center, its server."""

    def __init__(self, name: str, root: Path):
        self.name, self.root = name, root
        self.tmp = Path(tempfile.mkdtemp(prefix=f"callfloor-compare-{name}-"))
        self.proc = None
        self.port = 0
        self.approvals: list[int] = []
        self.token = ""

    def start(self) -> None:
        run.ROOT = self.root  # prepare_instance and start_gunicorn run in the tree
        env = run.prepare_instance(self.tmp)
        self.pages = run.pages(run.user_id(self.tmp, "agent05"), run.quality_paths(self.tmp))
        self.port = run.free_port()
        self.proc = run.start_gunicorn(env, self.port, self.tmp / "gunicorn.log")
        run.wait_for_health(self.port, self.proc)

    def measure(self, page: run.Page, share: int) -> dict[str, float]:
        cookie = run.sign_in(self.port, page.user) if page.user else None
        if not page.approvals:
            run.run_wrk(self.port, page.path, cookie, run.WARMUP)
            return run.run_wrk(self.port, page.path, cookie, run.DURATION)
        if not self.approvals:
            self.approvals = run.add_leave_to_approve(self.tmp, page.user, run.APPROVALS)
        token, cookie = run.page_token(self.port, cookie)
        ids = self.approvals[share::ROUNDS]  # each round decides requests of its own
        ids_file = self.tmp / f"approvals-{share}.txt"
        ids_file.write_text("\n".join(map(str, ids)) + "\n")
        body = urlencode({"csrf_token": token, "version": 1, "decision": "approve",
                          "confirmed": "yes"})
        status, _, _ = run.request(self.port, "POST", f"/leave/{ids[0]}/decide",
                                   cookie=cookie, body=body)
        if status != 303:
            raise RuntimeError(f"{self.name}: an approval gave status {status}, not 303")
        ids_file.write_text("\n".join(map(str, ids[1:])) + "\n")
        return run.run_wrk_approvals(self.port, ids_file, cookie, token, run.DURATION)

    def stop(self) -> None:
        if self.proc is not None:
            run.stop_gunicorn(self.proc)
        shutil.rmtree(self.tmp, ignore_errors=True)


def main() -> int:
    if len(sys.argv) != 3 or shutil.which("wrk") is None:
        print(__doc__.splitlines()[0], "(needs wrk)")
        return 1
    sides = [Side("before", Path(sys.argv[1]).resolve()),
             Side("after", Path(sys.argv[2]).resolve())]
    found: dict[str, dict[str, list[dict]]] = {}
    try:
        for side in sides:
            side.start()
        wanted = {s.strip() for s in os.environ.get("BENCH_PAGES", "").split(",") if s.strip()}
        labels = [p.label for p in sides[0].pages if not wanted or p.label in wanted]
        print(f"{ROUNDS} rounds, {run.WARMUP:g} s warm-up + {run.DURATION:g} s per page and "
              f"version, interleaved page by page\n")
        for label in labels:
            found[label] = {side.name: [] for side in sides}
            for share in range(ROUNDS):
                for side in sides:
                    page = next(p for p in side.pages if p.label == label)
                    found[label][side.name].append(side.measure(page, share))
            print(line(label, found[label]), flush=True)
    except (RuntimeError, OSError) as error:
        print(f"compare could not run: {error}", file=sys.stderr)
        return 1
    finally:
        for side in sides:
            side.stop()
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(found, indent=1))
    return 0


def line(label: str, runs: dict[str, list[dict]]) -> str:
    """One page: median req/s and p95 of each version, the change, and each round's req/s."""
    rps = {name: statistics.median(r["rps"] for r in rounds) for name, rounds in runs.items()}
    p95 = {name: statistics.median(r["p95_ms"] for r in rounds) for name, rounds in runs.items()}
    change = 100 * (rps["after"] - rps["before"]) / rps["before"]
    each = {name: [round(r["rps"]) for r in rounds] for name, rounds in runs.items()}
    return (f"| {label} | {rps['before']:.0f} | {rps['after']:.0f} | {change:+.1f}% | "
            f"{p95['before']:.1f} | {p95['after']:.1f} | {each['before']} | {each['after']} |")


if __name__ == "__main__":
    sys.exit(main())
