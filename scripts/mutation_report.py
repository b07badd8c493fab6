"""The score of `make mutate`: per rule module, the mutants killed out of those that count.

A mutant counts unless tests/mutation_equivalents.txt lists it as equivalent (no test can tell
it from the real code), each with a one-line reason. Timeouts count as killed: the mutant made
the tests hang, which a test run notices. The survivors are printed with the line they change,
so each one reads as a question: which test should have caught this?

Exits 1 when a module kills fewer than TARGET of the mutants that count, or when the list of
equivalents names a mutant that no longer survives (the list must not rot).
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "tests" / "mutation_equivalents.txt"
TARGET = 0.90

KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout",
          152: "timeout", 255: "timeout"}
SURVIVED = {0: "survived", 5: "no tests", 33: "no tests"}


def modules() -> list[str]:
    """The rule modules, as pyproject.toml's [tool.mutmut] only_mutate lists them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return config["tool"]["mutmut"]["only_mutate"]


def equivalents() -> dict[str, str]:
    """Mutant name -> the reason it cannot be killed."""
    listed = {}
    if EQUIVALENTS.exists():
        for line in EQUIVALENTS.read_text("utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            if not reason.strip():
                sys.exit(f"{EQUIVALENTS.name}: {name} has no reason")
            listed[name] = reason.strip()
    return listed


def changed_line(name: str, path: str) -> str:
    """The line the mutant changes, as `mutmut show` prints it."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # reads ./pyproject.toml

    shown = get_diff_for_mutant(name, path=path)
    lines = [line for line in shown.splitlines()
             if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))]
    return "  |  ".join(line.strip() for line in lines[:2])


def main() -> int:
    """Print the table and the survivors; the exit status says whether the target holds."""
    os.chdir(ROOT)
    equivalent = equivalents()
    failing, survivors, stale = [], [], []
    rows = []
    for path in modules():
        meta = ROOT / "mutants" / (path + ".meta")
        if not meta.exists():
            rows.append((path, None))
            continue
        results = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        counts = Counter()
        for name, code in results.items():
            if code is None:
                counts["not run"] += 1
            elif code in KILLED:
                counts["killed"] += 1
                if name in equivalent:
                    stale.append(name)
            elif name in equivalent:
                counts["equivalent"] += 1
            else:
                counts["survived"] += 1
                survivors.append((name, path, SURVIVED.get(code, f"exit {code}")))
        rows.append((path, counts))

    print(f"{'module':34} {'mutants':>7} {'killed':>6} {'equiv.':>6} {'survived':>8} "
          f"{'not run':>7} {'score':>6}")
    for path, counts in rows:
        if counts is None:
            print(f"{path:34} {'(no results: run `make mutate`)':>44}")
            continue
        total = sum(counts.values())
        counted = total - counts["equivalent"] - counts["not run"]
        score = counts["killed"] / counted if counted else 1.0
        mark = "" if score >= TARGET else "  < target"
        if score < TARGET:
            failing.append(path)
        print(f"{path:34} {total:7} {counts['killed']:6} {counts['equivalent']:6} "
              f"{counts['survived']:8} {counts['not run']:7} {score:6.1%}{mark}")

    if survivors:
        print(f"\nSurvivors ({len(survivors)}): `.venv/bin/mutmut show NAME` prints the diff")
        for name, path, status in survivors:
            print(f"  {name} [{status}]  {changed_line(name, path)}")
    if stale:
        print("\nListed as equivalent but killed now (remove them from the list):")
        for name in stale:
            print(f"  {name}")
    if failing:
        print(f"\nBelow the target of {TARGET:.0%}: {', '.join(failing)}")
    return 1 if failing or stale else 0


if __name__ == "__main__":
    sys.exit(main())
