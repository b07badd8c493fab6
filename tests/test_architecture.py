"""The shape of app/ (STYLE.md, "Layout"): shared pieces sit below the areas, people is the base,
role checks go through a policy, and no module grows past what a newcomer can read.

These tests read the source, not the running app: an import or a comparison that breaks the
shape fails here with the file and line to fix.
"""

import ast
import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
TEMPLATES = APP.parent / "templates"

# The base: anything may import these.
BASE_AREAS = {"people", "auth", "inbox"}
# The composition roots: they build the app from what each area declares.
ROOTS = {"app/__init__.py", "app/cli.py", "app/demo.py"}
# Demo data is long by nature; everything else stays readable in one sitting.
LONG_ALLOWED = {"app/demo.py", "app/qa/demo.py", "app/staff/demo.py"}
MAX_LINES = 500


def areas() -> set[str]:
    """Every package under app/ is an area (main is the shell the areas sit in)."""
    return {p.name for p in APP.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def modules() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def name(path: Path) -> str:
    return str(path.relative_to(APP.parent))


def imported_areas(path: Path) -> list[tuple[int, str]]:
    """(line, area) for every import of an area's package in this module, wherever it sits
    (a function-level import counts as much as one at the top)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = [node.module]
            if node.module == "app":
                targets = [f"app.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        for target in targets:
            parts = target.split(".")
            if parts[0] == "app" and len(parts) > 1 and parts[1] in areas():
                found.append((node.lineno, parts[1]))
    return found


def area_of(path: Path) -> str | None:
    parts = path.relative_to(APP).parts
    return parts[0] if len(parts) > 1 else None


def test_the_areas_are_found():
    """The checks below walk real packages (a typo in APP would make them pass on nothing)."""
    assert {"people", "auth", "staff", "qa", "main"} <= areas()
    assert len(modules()) > 40


def test_no_shared_module_imports_a_feature_area():
    """"No shared module imports a feature area. people, auth and inbox are the base, which
    anything may import. The exceptions are the composition roots (create_app, the CLI, the
    demo loader)." """
    wrong = []
    for path in modules():
        if area_of(path) is not None or name(path) in ROOTS:
            continue
        wrong += [f"{name(path)}:{line} imports app.{area}"
                  for line, area in imported_areas(path) if area not in BASE_AREAS]
    assert not wrong, wrong


def test_people_imports_no_other_area():
    """"app/people/ imports no other area. auth/ and every other area build on it." """
    wrong = [f"{name(path)}:{line} imports app.{area}"
             for path in modules() if area_of(path) == "people"
             for line, area in imported_areas(path) if area != "people"]
    assert not wrong, wrong


def test_the_base_imports_no_feature_area():
    """auth and inbox build on people only: a base that imported staff or qa would pull every
    area into every other."""
    wrong = [f"{name(path)}:{line} imports app.{area}"
             for path in modules() if area_of(path) in BASE_AREAS
             for line, area in imported_areas(path)
             if area not in BASE_AREAS and area != area_of(path)]
    assert not wrong, wrong


ROLE_COMPARISON = re.compile(r"current_user\.role\b")


def test_no_route_module_compares_the_role_itself():
    """"Every role check goes through a policy.can_* function, in templates as well as in
    views": a route module never reads current_user.role."""
    wrong = []
    for path in modules():
        text = path.read_text(encoding="utf-8")
        if ".route(" not in text:
            continue
        wrong += [f"{name(path)}:{number}" for number, line in enumerate(text.splitlines(), 1)
                  if ROLE_COMPARISON.search(line)]
    assert not wrong, wrong


def test_no_template_compares_the_role_itself():
    """Templates ask the area's policy (`staff_policy.can_...`) instead of reading the role."""
    wrong = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        wrong += [f"{path.relative_to(TEMPLATES)}:{number}"
                  for number, line in enumerate(text.splitlines(), 1)
                  if ROLE_COMPARISON.search(line)]
    assert not wrong, wrong


@pytest.mark.parametrize("path", modules(), ids=name)
def test_no_module_is_over_500_lines(path):
    """"No file in app/ over 500 lines, demo data aside." """
    if name(path) in LONG_ALLOWED:
        return
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name(path)} has {lines} lines: split it by topic"


def test_the_checks_catch_what_they_look_for(tmp_path):
    """The walkers see an import inside a function and a role read in a view."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from app.staff import leave\n    import app.qa.rules\n"
                     "from app import qa, audit\n", encoding="utf-8")
    assert sorted(imported_areas(probe)) == [(2, "staff"), (3, "qa"), (4, "qa")]
    assert ROLE_COMPARISON.search("if current_user.role == Role.QA:")
    assert not ROLE_COMPARISON.search("if policy.can_score(current_user):")
