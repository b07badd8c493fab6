"""The suite shares werkzeug's compiled URL builders between its apps (tests/conftest.py,
share_url_builders): every route must still build the URL werkzeug's own compiler gives."""

from werkzeug.routing.converters import NumberConverter, PathConverter
from werkzeug.routing.rules import Rule

from app import create_app
from tests.conftest import test_config


def sample(converter):
    """A value the converter takes."""
    if isinstance(converter, NumberConverter):
        return 7
    return "a/b 1" if isinstance(converter, PathConverter) else "x 1"


def test_every_route_builds_the_url_its_own_compiled_builder_gives(app, tmp_path):
    assert Rule._compile_builder.shared
    other = create_app(test_config(tmp_path / "other"))  # a second app: its builders are shared
    compiled = Rule._compile_builder.original
    rules = list(other.url_map.iter_rules())
    assert len(rules) > 50
    for rule in rules:
        values = {name: sample(rule._converters[name]) for name in rule.arguments
                  if name not in (rule.defaults or {})}
        for append_unknown in (False, True):
            own = compiled(rule, append_unknown).__get__(rule, None)
            shared = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            extra = {"page": 2} if append_unknown else {}
            assert shared(**values, **extra) == own(**values, **extra), rule.rule
