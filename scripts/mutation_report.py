"""The score of `make mutate`: per rule module, the mutants killed out of those that count.

A mutant counts unless tests/mutation_equivalents.txt lists it as equivalent (no test can tell
it from the real code), each with a one-line reason. Timeouts count as killed: the mutant made
the tests hang, which a test run notices. The survivors are printed with the line they change,
so each one reads as a question: which test should have caught this?

Exits 1 when a module kills fewer than TARGET of the mutants that count, or when the list of
equivalents holds a change that is killed now or no longer made (the list must not rot). The list
matches a mutant by its function and the change it makes, not by its number, which moves
whenever the function is edited.
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


def function_of(name: str) -> str:
    """The mutated function's key: `app.qa.rules.x_draw__mutmut_51` -> `app.qa.rules.x_draw`.
    mutmut numbers a function's mutants by position, so the number moves when the function
    is edited; the function and the change it makes do not."""
    return name.rpartition("__mutmut_")[0]


def equivalents() -> dict[tuple[str, str], tuple[str, str]]:
    """(function, change) -> (the name it was listed under, the reason it cannot be killed).

    Each entry is a line `NAME REASON` followed by a line `    = CHANGE`, the change exactly as
    this report prints it. A mutant is equivalent when its function and change match an entry,
    whatever its number is now."""
    listed: dict[tuple[str, str], tuple[str, str]] = {}
    if not EQUIVALENTS.exists():
        return listed
    name = reason = ""
    for line in EQUIVALENTS.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith(" "):
            change = line.strip().removeprefix("=").strip()
            if not name or not change:
                sys.exit(f"{EQUIVALENTS.name}: a change line without its mutant: {line!r}")
            listed[(function_of(name), change)] = (name, reason)
            name = ""
            continue
        if name:
            sys.exit(f"{EQUIVALENTS.name}: {name} has no `    = CHANGE` line under it")
        name, _, reason = line.strip().partition(" ")
        if not reason.strip():
            sys.exit(f"{EQUIVALENTS.name}: {name} has no reason")
        reason = reason.strip()
    if name:
        sys.exit(f"{EQUIVALENTS.name}: {name} has no `    = CHANGE` line under it")
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
    listed_functions = {function for function, _change in equivalent}
    failing, survivors, stale = [], [], []
    found: set[tuple[str, str]] = set()
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
                continue
            function = function_of(name)
            key = (function, changed_line(name, path)) if function in listed_functions else None
            if key is not None and key in equivalent:
                found.add(key)
            if code in KILLED:
                counts["killed"] += 1
                if key is not None and key in equivalent:
                    stale.append(f"{name} (listed as {equivalent[key][0]})")
            elif key is not None and key in equivalent:
                counts["equivalent"] += 1
            else:
                counts["survived"] += 1
                survivors.append((name, path, SURVIVED.get(code, f"exit {code}")))
        rows.append((path, counts))
        # An entry of a module that ran but matches none of its mutants: the code changed.
        run_functions = {function_of(name) for name in results}
        stale += [f"{listed} (no mutant of {function} makes this change now)"
                  for (function, change), (listed, _reason) in equivalent.items()
                  if function in run_functions and (function, change) not in found
                  and all(results.get(n) is not None for n in results
                          if function_of(n) == function)]

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
            print(f"  {name} [{status}]\n    = {changed_line(name, path)}")
    if stale:
        print("\nListed as equivalent but killed now, or no longer made (remove them):")
        for name in stale:
            print(f"  {name}")
    if failing:
        print(f"\nBelow the target of {TARGET:.0%}: {', '.join(failing)}")
    return 1 if failing or stale else 0


if __name__ == "__main__":
    sys.exit(main())
