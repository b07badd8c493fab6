"""The tests themselves: no assertion that cannot fail.

An assert that reads a value with a fallback, and falls back to the very value it looks for,
passes when the value is missing: `"x" in headers.get("HX-Trigger", "x")` holds for a response
without the header. Every test file under tests/ is parsed and such asserts are refused.
"""

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def _fallback(node: ast.AST) -> ast.expr | None:
    """The fallback of `obj.get(key, fallback)` or `getattr(obj, name, fallback)`, else None."""
    if not isinstance(node, ast.Call):
        return None
    keywords = {k.arg: k.value for k in node.keywords if k.arg}
    if isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        if len(node.args) >= 2:
            return node.args[1]
        return keywords.get("default")
    if isinstance(node.func, ast.Name) and node.func.id == "getattr" and len(node.args) == 3:
        return node.args[2]
    return None


def _same(a: ast.AST, b: ast.AST) -> bool:
    return ast.dump(a) == ast.dump(b)


def _holds_anyway(sought: ast.expr, op: ast.cmpop, fallback: ast.expr, get_on_right: bool) -> bool:
    """Would `sought <op> fallback` (or the mirror) hold by construction?"""
    if isinstance(op, ast.Eq | ast.Is):
        return _same(sought, fallback)
    if isinstance(op, ast.In) and get_on_right:  # sought in obj.get(k, fallback)
        if _same(sought, fallback):
            return True
        if isinstance(fallback, ast.List | ast.Tuple | ast.Set):
            return any(_same(sought, element) for element in fallback.elts)
        if isinstance(fallback, ast.Dict):
            return any(key is not None and _same(sought, key) for key in fallback.keys)
        return (isinstance(sought, ast.Constant) and isinstance(fallback, ast.Constant)
                and isinstance(sought.value, str) and isinstance(fallback.value, str)
                and sought.value in fallback.value)
    return False


def _truthy_constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and bool(node.value)


def _tautologies(test: ast.expr) -> list[ast.AST]:
    """The parts of an assert's condition that a missing value satisfies by its fallback."""
    found = []
    # Truth tests: `assert h.get(k, True)`, also as a part of `and`.
    operands = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) \
        else [test]
    for operand in operands:
        fallback = _fallback(operand)
        if fallback is not None and _truthy_constant(fallback):
            found.append(operand)
    for node in ast.walk(test):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, sides[:-1], sides[1:], strict=True):
            right_fallback, left_fallback = _fallback(right), _fallback(left)
            if any(fallback is not None and _holds_anyway(sought, op, fallback, on_right)
                   for sought, fallback, on_right in ((left, right_fallback, True),
                                                      (right, left_fallback, False))):
                found.append(node)
    return found


def tautological_asserts(source: str, filename: str = "<test>") -> list[str]:
    """`file:line: assert ...` for every assert that its own fallback makes pass."""
    tree = ast.parse(source, filename)
    return [f"{filename}:{node.lineno}: {ast.unparse(node)}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Assert) and _tautologies(node.test)]


def test_no_assert_falls_back_to_what_it_looks_for():
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 20, "the test files were not found"
    offenders = []
    for path in files:
        offenders += tautological_asserts(path.read_text(encoding="utf-8"),
                                          str(path.relative_to(TESTS.parent)))
    assert offenders == [], "these asserts cannot fail:\n" + "\n".join(offenders)


@pytest.mark.parametrize("line", [
    'assert "pending-changed" in response.headers.get("HX-Trigger", "pending-changed")',
    'assert "pending-changed" in r.headers.get("HX-Trigger", default="pending-changed")',
    "assert response.headers.get(name, wanted) == wanted",
    "assert wanted == response.headers.get(name, wanted)",
    "assert h.get(k, None) is None",
    'assert "no-store" in h.get("Cache-Control", "private, no-store")',
    'assert "a" in h.get(k, ["a", "b"])',
    "assert x in h.get(k, (x,))",
    "assert ok and x in h.get(k, x)",
    "assert h.get(k, True)",
    'assert ok and h.get(k, "yes")',
    'assert getattr(obj, "flag", True)',
    "assert getattr(obj, name, value) == value",
    "assert 1 < h.get(k, 2) == 2",
])
def test_the_check_finds_asserts_that_cannot_fail(line):
    assert tautological_asserts(line), line


@pytest.mark.parametrize("line", [
    'assert "pending-changed" in response.headers["HX-Trigger"]',
    'assert "no-store" in response.headers.get("Cache-Control", "")',
    'assert attributes.get("samesite", "").lower() == "samesite=lax"',
    "assert h.get(k) == wanted",
    "assert h.get(k, None) == wanted",
    "assert h.get(k, wanted) != wanted",
    'assert "b" not in h.get(k, "b")',
    "assert h.get(k, 0)",
    'assert not h.get(k, "")',
    "assert h.get(k, other) == wanted",
    'x = h.get(k, "x")',
])
def test_the_check_passes_asserts_that_can_fail(line):
    assert tautological_asserts(line) == [], line
