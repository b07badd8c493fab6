"""Shared fixtures: app on a fresh database (SQLite file, or PostgreSQL when
TEST_DATABASE_URL says so), client, runner, factories, sign-in helper, frozen clock."""

import hashlib
import os
import re
import shutil
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import create_engine, func, select, text
from werkzeug.routing.rules import Rule

from app import create_app, timeutil
from app.extensions import db
from app.people.models import Role, Status, Team, User

PASSWORD = "correct horse battery"
HX = {"HX-Request": "true", "HX-Target": "main"}
HX_BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}
PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def reset_postgres(url: str) -> None:
    """Give each test an empty public schema."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def share_url_builders() -> None:
    """Let every test's app reuse the URL-building functions an earlier app compiled.

    Each test makes its own app, and werkzeug compiles two URL builders for each of its ~100
    routes with Python's compiler: 26 of create_app's 34 ms (create_app timed over 30 calls:
    34.4 ms each, 8.7 ms with this). A builder depends
    only on the rule's text and parse, its defaults and whether unknown values are appended,
    and it is handed its rule when called, so one builder serves that rule in every app. Tests
    only: the running app builds its one map once."""
    original = Rule._compile_builder
    if getattr(original, "shared", False):
        return
    built = {}

    def compile_builder(self, append_unknown=True):
        defaults = sorted((self.defaults or {}).items(), key=lambda item: item[0])
        key = (self.rule, tuple(self._trace), repr(defaults), append_unknown)
        if key not in built:
            built[key] = original(self, append_unknown)
        return built[key]

    compile_builder.shared = True
    compile_builder.original = original
    Rule._compile_builder = compile_builder


share_url_builders()


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL: skip them when TEST_DATABASE_URL is unset.
    In a `make mutate` session, run the mutated module's own tests first."""
    home_tests_first(items, os.environ.get("MUTANT_UNDER_TEST", ""))
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://...")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


def home_tests(mutant: str) -> tuple[str, ...]:
    """The test files that test a mutant's module: named after it (app.staff.swaps ->
    tests/staff/test_swap*, app.audit -> tests/test_audit*), or its package's folder
    (app.auth.services -> tests/auth/)."""
    parts = mutant.split(".")
    if len(parts) < 3 or parts[0] != "app":
        return ()
    package, module = parts[1:-2], parts[-2]
    folder = "/".join(["tests", *package])
    return (f"{folder}/test_{module.removesuffix('s')}", f"tests/{'/'.join(package)}/")


def home_tests_first(items: list, mutant: str) -> None:
    """mutmut runs a mutant's tests fastest first and stops at the first failure, so a mutant
    of audit.record (reached by 870 tests) ran hundreds of page tests before the audit tests
    that kill it. The same tests run: the module's own first, then the rest of its package's,
    then the others, each group in mutmut's order."""
    if mutant in ("", "fail", "stats", "list_all_tests"):
        return
    named, folder = home_tests(mutant) or ("", "")

    def group(item) -> int:
        if named and item.nodeid.startswith(named):
            return 0  # the module's own tests
        return 1 if folder != "tests//" and item.nodeid.startswith(folder) else 2

    items.sort(key=group)


@pytest.fixture
def pg_url():
    """The PostgreSQL test database, its public schema emptied; skips without TEST_DATABASE_URL.
    For tests that need PostgreSQL itself; mark them @pytest.mark.postgres."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://...")
    reset_postgres(PG_URL)
    return PG_URL


def database_url(tmp_path) -> str:
    """The URL of a fresh, empty database for one test."""
    if PG_URL:
        reset_postgres(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


def test_config(tmp_path, **extra) -> dict:  # noqa: PT028
    """Settings for a test app: real CSRF, cheap argon2, an empty database."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-0123456789abcdefghijklmnop",
        "AUDIT_KEY": "test-audit-key-0123456789abcdefghijklmnop",
        "AUDIT_HEAD_FILE": str(tmp_path / "audit_head.json"),
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "ARGON2_MEMORY_KIB": 1024,
        "ARGON2_TIME_COST": 1,
        "WTF_CSRF_ENABLED": True,
        **extra,
    }


test_config.__test__ = False  # a helper, not a test


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test builds the statements and values the app caches per process: one built by an
    earlier test would let this test pass without reaching the code that builds it (and a
    mutant of that code would never run)."""
    for name, module in list(sys.modules.items()):
        if name == "app" or name.startswith("app."):
            for value in list(vars(module).values()):
                # the type, not the value: a proxy such as current_app would need a context
                if hasattr(type(value), "cache_clear") and value.__module__ == name:
                    value.cache_clear()


def schema_digest(engine) -> str:
    """A digest of everything create_all makes on this engine: each table, index and trigger
    as DDL text, and the SQLAlchemy version that wrote it."""
    import sqlalchemy
    from sqlalchemy.schema import CreateIndex, CreateTable

    from app.audit import append_only_statements

    parts = [sqlalchemy.__version__, *append_only_statements(engine.dialect.name)]
    for table in db.metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=engine.dialect)))
        parts += sorted(str(CreateIndex(index).compile(dialect=engine.dialect))
                        for index in table.indexes)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory):
    """An empty SQLite database with the schema, copied for each test: a copy takes under a
    millisecond where create_all takes about 20 ms (65 ms on a busy machine), most of a
    test's set-up. It is made once for each schema, kept in the temporary folder under a
    digest of the schema's DDL, and reused by every later session: `make mutate` runs each
    mutant as a session of its own, and making it again there cost 50 to 100 ms of each. None
    on PostgreSQL."""
    if PG_URL:
        return None
    folder = tmp_path_factory.mktemp("schema")
    application = create_app(test_config(folder))
    with application.app_context():
        kept = Path(tempfile.gettempdir()) / f"callfloor-schema-{schema_digest(db.engine)}.sqlite"
        if not kept.exists():
            db.create_all()
            db.session.remove()
            db.engine.dispose()
            fresh = folder / "test.sqlite"
            partial = kept.with_suffix(f".{os.getpid()}.part")
            shutil.copyfile(fresh, partial)
            os.replace(partial, kept)  # whole or not at all, whichever session writes it
        db.session.remove()
        db.engine.dispose()
    return kept


@pytest.fixture
def app(tmp_path, sqlite_schema):
    """An app with the schema created and nothing in it."""
    target = tmp_path / "test.sqlite"
    if sqlite_schema is not None and not target.exists():  # a test may have seeded its own
        shutil.copyfile(sqlite_schema, target)
    application = create_app(test_config(tmp_path))

    def fresh_g():
        # This fixture keeps one app context open, so `g` would outlive a request and carry
        # one client's signed-in user (and CSRF token) into the next request. Real requests
        # start with an empty `g`, so start each test request with one too.
        for name in list(vars(g)):
            g.pop(name, None)

    application.before_request_funcs.setdefault(None, []).insert(0, fresh_g)

    @application.teardown_request
    def end_transaction(_error=None):
        # In production the session ends with the request's app context; here the context
        # outlives the request, so end the transaction (and release SQLite's lock) explicitly.
        db.session.rollback()

    with application.app_context():
        db.create_all()
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def clock():
    """A frozen clock the test can move; released afterwards."""

    class Clock:
        def __init__(self):
            self.now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
            timeutil.freeze(self.now)

        def set(self, at: datetime) -> None:
            self.now = at
            timeutil.freeze(at)

        def advance(self, **kwargs) -> None:
            self.set(self.now + timedelta(**kwargs))

    yield Clock()
    timeutil.freeze(None)


_numbers = count(1)


@pytest.fixture
def make_team(app):
    """Factory: make_team("一组", lead=user)."""

    def factory(name: str | None = None, lead: User | None = None) -> Team:
        team = Team(name=name or f"Team {next(_numbers)}")
        db.session.add(team)
        db.session.flush()
        if lead is not None:
            team.lead_id = lead.id
            lead.team_id = team.id
        db.session.commit()
        return team

    return factory


@pytest.fixture
def make_user(app):
    """Factory: make_user(role="agent", team=..., username=..., password=...)."""
    from app.people.passwords import hash_password

    digest = hash_password(PASSWORD)

    def factory(role: str = Role.AGENT, team: Team | None = None, password: str | None = None,
                **fields) -> User:
        n = next(_numbers)
        values = {
            "username": f"{role}{n}",
            "employee_no": f"E{n:05d}",
            "name": f"测试{role}{n}",
            "phone": "13800000000",
            "role": role,
            "team_id": team.id if team else None,
            "grade": "junior" if role == Role.AGENT else None,
            "hire_date": date(2025, 1, 1),
            "probation_until": None,
            "status": Status.ACTIVE,
            "password_hash": hash_password(password) if password else digest,
            "must_change_password": False,
        }
        values.update(fields)
        user = User(**values)
        db.session.add(user)
        db.session.commit()
        return user

    return factory


def audit_rows(action: str) -> list:
    """The audit trail's rows of one action, oldest first."""
    from app.audit import AuditEvent

    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def row_count(model) -> int:
    """How many rows a table holds."""
    return db.session.scalar(select(func.count()).select_from(model))


def csrf_from(html: str) -> str:
    """The CSRF token a page carries."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD, next_url: str | None = None):
    """Sign in through the real form, CSRF token included."""
    page = client.get("/login")
    data = {"username": username, "password": password, "csrf_token": csrf_from(page.text)}
    url = f"/login?next={next_url}" if next_url else "/login"
    return client.post(url, data=data)


def post_form(client, url: str, data: dict | None = None, token_page: str = "/",
              confirmed: bool = True, **kwargs):
    """POST with a valid CSRF token taken from a page the client can see, as the page sends
    it: an action that cannot be undone carries the answer to its question (app/confirm.py)
    unless `confirmed` is False."""
    token = csrf_from(client.get(token_page).text)
    sent = {**(data or {}), "csrf_token": token}
    if confirmed:
        sent.setdefault("confirmed", "yes")
    return client.post(url, data=sent, **kwargs)


@pytest.fixture
def login_as(client, make_user, make_team):
    """Sign the client in as a fresh user of the given role; returns the user."""

    def sign_in(role: str = Role.AGENT, **fields) -> User:
        if "team" not in fields and role in (Role.AGENT, Role.LEAD):
            fields["team"] = make_team()
        team = fields.pop("team", None)
        user = make_user(role=role, team=team, **fields)
        if role == Role.LEAD and team is not None and team.lead_id is None:
            team.lead_id = user.id
            db.session.commit()
        response = login(client, user.username)
        assert response.status_code == 303, response.text
        return user

    return sign_in
