"""Every route of the app with real arguments: shared by the access, CSRF and GET tests.

A route whose URL takes an argument this module cannot fill makes the tests that use it fail,
so a new route cannot slip past the access matrix: add its argument to ARGUMENTS.

The matrix runs hundreds of requests, each on a fresh app and database. To keep that fast on
SQLite, the people and a signed-in session per role are made once (`make_seed`, through the real
sign-in form) and every test starts from a copy of that database file, reusing the session
cookies. On PostgreSQL every test builds the same world and signs in again.
"""

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import event, func, select
from werkzeug.routing import Rule

from app import create_app
from app.areas import access_table
from app.extensions import db
from app.people import importer
from app.people.models import Role, Status, Team, User
from tests.conftest import HX, PASSWORD, PG_URL, csrf_from, login, test_config

ROLES = ("anonymous", "agent", "qa", "lead", "supervisor")
METHODS = ("GET", "POST")
DB_FILE = "test.sqlite"  # the file name conftest's database_url() gives the test database

# The access table the app enforces, merged from what each area declares; read once, when the
# tests are collected, to parametrize them.
ACCESS = access_table(create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}))


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory across the many short-lived test apps.

    Jinja checks each entry against the template's source checksum, so a changed template is
    compiled again; this only spares compiling the same templates hundreds of times.
    """

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        """Fill the bucket from memory when we have it."""
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        """Remember a freshly compiled template."""
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = SharedBytecodeCache()


def share_compiled_templates(app) -> None:
    """Let a fresh test app reuse templates compiled by earlier ones."""
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE


# --- the world the route arguments point at -------------------------------------------------


def add_user(username: str, role: str, team: Team | None = None, **fields) -> User:
    """A person who can sign in with PASSWORD."""
    from app.people.passwords import hash_password

    values = {
        "username": username, "employee_no": "W-" + username.upper(), "name": username,
        "phone": "13800000000", "role": role, "team_id": team.id if team else None,
        "grade": "junior" if role == Role.AGENT else None, "hire_date": date(2025, 1, 1),
        "status": Status.ACTIVE, "password_hash": hash_password(PASSWORD),
        "must_change_password": False, **fields,
    }
    user = User(**values)
    db.session.add(user)
    db.session.flush()
    return user


def populate() -> dict[str, int]:
    """One person of each role in one team, a colleague elsewhere, someone who left, a batch."""
    team, other_team = Team(name="一组"), Team(name="二组")
    db.session.add_all([team, other_team])
    db.session.flush()
    people = {
        "agent": add_user("w_agent", Role.AGENT, team, name="张伟"),
        "qa": add_user("w_qa", Role.QA, team, name="李静"),
        "lead": add_user("w_lead", Role.LEAD, team, name="刘洋"),
        "supervisor": add_user("w_boss", Role.SUPERVISOR, name="陈敏"),
        "other_lead": add_user("w_lead2", Role.LEAD, other_team, name="杨帆"),
        # the person the person_id routes act on: an agent on probation, in the roles' team
        "target": add_user("w_wangfang", Role.AGENT, team, name="王芳", phone="13955556666",
                           probation_until=date(2099, 1, 1)),
        "elsewhere": add_user("w_zhaolei", Role.AGENT, other_team, name="赵磊",
                              phone="13911112222"),
        "left": add_user("w_zhouqiang", Role.AGENT, team, name="周强", status=Status.LEFT),
    }
    team.lead_id = people["lead"].id
    other_team.lead_id = people["other_lead"].id
    batch = importer.SPEC.store("people.csv", [{
        "employee_no": "CF7001", "name": "孙丽", "username": "sunli", "phone": "",
        "role": "座席员", "team": "一组", "grade": "普通", "hire_date": "2026-10-01",
        "probation_until": "",
    }], people["supervisor"])
    db.session.commit()
    return {"team": team.id, "other_team": other_team.id, "batch": batch.id,
            **{key: person.id for key, person in people.items()}}


@dataclass
class World:
    """The objects of one test's database, and how each role signs in to it."""

    ids: dict[str, int]
    cookies: dict[str, str] = field(default_factory=dict)  # role -> session cookie value
    tokens: dict[str, str] = field(default_factory=dict)  # role -> CSRF token of that session
    extra: dict[str, object] = field(default_factory=dict)  # made on first use, see `once`

    def user(self, key: str) -> User:
        """A person of the world: a role name, "target", "elsewhere", "left", "other_lead"."""
        return db.session.get(User, self.ids[key])

    @property
    def target(self) -> User:
        """An agent on probation in the roles' team: visible to everyone, manageable."""
        return self.user("target")

    @property
    def team(self) -> Team:
        """The team of the agent, the QA reviewer, the lead and the target."""
        return db.session.get(Team, self.ids["team"])

    def once(self, key: str, make: Callable[["World"], object]) -> object:
        """An object of an area only some routes need, made the first time one asks."""
        if key not in self.extra:
            self.extra[key] = make(self)
            db.session.commit()
        return self.extra[key]


# Objects of the time areas, made with the models directly (no rules, no audit rows) and only
# when a route asks for them. All belong to the roles' team: the agent, the target, their lead.
DAY = date(2099, 3, 2)


def _at(hour: int) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, tzinfo=UTC)


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def pending_leave(world: World):
    """A leave request of the agent, waiting for their lead."""
    from app.staff.models import LeaveRequest

    return _add(LeaveRequest(user_id=world.ids["agent"], kind="annual", starts_at=_at(1),
                             ends_at=_at(10), reason="家里有事", hours=8, status="pending_lead"))


def shift_of(key: str) -> Callable[[World], object]:
    """A maker of a shift of the world's person `key`."""

    def make(world: World):
        from app.staff.models import Shift

        return _add(Shift(user_id=world.ids[key], day=DAY, starts_at=_at(1), ends_at=_at(9),
                          label="早班", created_by_id=world.ids["lead"]))

    return make


def pending_swap(world: World):
    """The agent asks the target to swap shifts; the target has not answered."""
    from app.staff.models import ShiftSwap

    mine = world.once("shift", shift_of("agent"))
    theirs = world.once("target_shift", shift_of("target"))
    return _add(ShiftSwap(
        requester_id=world.ids["agent"], counterpart_id=world.ids["target"],
        requester_shift_id=mine.id, counterpart_shift_id=theirs.id, month=DAY.replace(day=1),
        reason="孩子开家长会", status="pending_counterpart",
        requester_lead_id=world.ids["lead"], counterpart_lead_id=world.ids["lead"],
    ))


def open_handover(world: World):
    """The lead's unsigned handover of the team, with one item waiting for acknowledgement."""
    from app.staff.models import Handover, HandoverItem

    handover = _add(Handover(team_id=world.ids["team"], day=DAY, shift_label="早班",
                             written_by_id=world.ids["lead"], notes="一切正常"))
    _add(HandoverItem(handover_id=handover.id, team_id=world.ids["team"], kind="customer",
                      details="下午回访客户", contact="王先生"))
    return handover


def away_request(world: World):
    """The agent asks to leave the seat; nobody has decided yet."""
    from app.staff.models import AwayRequest

    return _add(AwayRequest(user_id=world.ids["agent"], team_id=world.ids["team"],
                            status="requested", requested_at=datetime.now(UTC)))


def roster_batch(world: World):
    """An unapplied roster import of the supervisor: one shift for the agent."""
    from app.staff import roster

    rows = [{"employee_no": world.user("agent").employee_no, "day": "2099-03-09",
             "start": "09:00", "end": "17:00", "label": "早班"}]
    return _add(roster.SPEC.store("roster.csv", rows, world.user("supervisor")))


def agent_call(world: World):
    """A call of the agent, taken by a published rule of the QA reviewer."""
    from app.qa.models import Call, SampledCall, SampleDraw

    call = _add(Call(serial_no="W-0001", agent_id=world.ids["agent"], started_at=_at(3),
                     duration_s=300, direction="in", customer_number="13800138000"))
    rule = world.once("rule", published_rule)
    draw = _add(SampleDraw(rule_id=rule.id, day=DAY, drawn_at=_at(20)))
    _add(SampledCall(draw_id=draw.id, call_id=call.id, agent_id=world.ids["agent"], position=1,
                     reviewer_id=world.ids["qa"]))
    return call


def published_rule(world: World):
    """A rule of the QA reviewer covering every agent, published before its first day (who it
    covers fixed then: the agents on the staff)."""
    from app.qa.models import SamplingRule

    return _add(SamplingRule(name="每人第1通", scope="all", first_day=DAY, status="published",
                             published_at=_at(0) - timedelta(days=2),
                             created_by_id=world.ids["qa"],
                             covered_people=[world.user(key) for key in
                                             ("agent", "target", "elsewhere")]))


def scorecard(world: World):
    """A scorecard with one category and one deduction item."""
    from app.qa.models import Scorecard, ScorecardCategory, ScorecardItem, ScorecardVersion

    card = _add(Scorecard(name="通用质检表"))
    version = _add(ScorecardVersion(scorecard_id=card.id, number=1))
    category = _add(ScorecardCategory(scorecard_version_id=version.id, name="服务态度"))
    _add(ScorecardItem(category_id=category.id, name="语气生硬", points=5))
    return card


def draft_evaluation(world: World):
    """The QA reviewer's draft evaluation of the agent's sampled call."""
    from app.qa.models import Evaluation, SampledCall

    call = world.once("call", agent_call)
    card = world.once("scorecard", scorecard)
    pick = db.session.scalar(select(SampledCall).where(SampledCall.call_id == call.id))
    return _add(Evaluation(call_id=call.id, agent_id=call.agent_id, reviewer_id=world.ids["qa"],
                           scorecard_version_id=card.versions[0].id, sampled_call_id=pick.id))


def calls_batch(world: World):
    """An unapplied call log upload of the supervisor: one call of the agent."""
    from app.qa import calls

    rows = [{"serial_no": "F-0001", "employee_no": world.user("agent").employee_no,
             "started_at": "2026-03-09 09:30:00", "duration_s": "120", "direction": "in"}]
    return _add(calls.SPEC.store("calls.csv", rows, world.user("supervisor")))


def calibration_round(world: World):
    """An open calibration round on the agent's call."""
    from app.qa.models import Calibration

    call = world.once("call", agent_call)
    card = world.once("scorecard", scorecard)
    return _add(Calibration(call_id=call.id, scorecard_version_id=card.versions[0].id,
                            created_by_id=world.ids["supervisor"]))


def agent_notification(world: World):
    """A notification of the agent's inbox: their request to step away was refused."""
    from app.inbox.models import Notification

    return _add(Notification(recipient_id=world.ids["agent"], kind="away.refused",
                             params='{"asked": "2099-03-02T03:00:00+00:00"}',
                             link_endpoint="staff.away_board", link_args="{}"))


def api_token(world: World):
    """A token for the telephony system."""
    from app.qa import tokens

    token, _plain = tokens.create("电话系统", world.user("supervisor"), _at(0))
    db.session.flush()
    return token


# Route argument name -> its value in the world. A route with an argument missing here fails
# every test that builds its URL, with a message saying so.
ARGUMENTS: dict[str, Callable[[World], object]] = {
    "person_id": lambda world: world.ids["target"],
    "team_id": lambda world: world.ids["team"],
    "batch_id": lambda world: world.ids["batch"],
    "leave_id": lambda world: world.once("leave", pending_leave).id,
    "shift_id": lambda world: world.once("shift", shift_of("agent")).id,
    "swap_id": lambda world: world.once("swap", pending_swap).id,
    "handover_id": lambda world: world.once("handover", open_handover).id,
    "item_id": lambda world: world.once("handover", open_handover).items[0].id,
    "away_id": lambda world: world.once("away", away_request).id,
    "filename": lambda _world: "app.css",
    "call_id": lambda world: world.once("call", agent_call).id,
    "rule_id": lambda world: world.once("rule", published_rule).id,
    "evaluation_id": lambda world: world.once("evaluation", draft_evaluation).id,
    "scorecard_id": lambda world: world.once("scorecard", scorecard).id,
    "scorecard_item_id": lambda world: world.once("scorecard", scorecard).versions[0]
    .categories[0].items[0].id,
    "token_id": lambda world: world.once("token", api_token).id,
    "calibration_id": lambda world: world.once("calibration", calibration_round).id,
    "notification_id": lambda world: world.once("notification", agent_notification).id,
}
# Where one name means another kind of object on some routes: (endpoint, name) -> value.
ENDPOINT_ARGUMENTS: dict[tuple[str, str], Callable[[World], object]] = {
    ("staff.preview_roster", "batch_id"): lambda world: world.once("roster", roster_batch).id,
    ("staff.apply_roster", "batch_id"): lambda world: world.once("roster", roster_batch).id,
    ("qa.preview_calls", "batch_id"): lambda world: world.once("calls", calls_batch).id,
    ("qa.apply_calls", "batch_id"): lambda world: world.once("calls", calls_batch).id,
}


# --- seeding once, copying per test ---------------------------------------------------------


@dataclass
class Seed:
    """A database file with the world in it and a signed-in session per role."""

    path: Path | None  # None on PostgreSQL: every test builds its own world
    world: World | None


def make_seed(folder: Path) -> Seed:
    """Build the world once and sign each role in through the real form."""
    if PG_URL:
        return Seed(path=None, world=None)
    app = create_app(test_config(folder))
    share_compiled_templates(app)
    with app.app_context():
        db.create_all()
        ids = populate()
    world = World(ids=ids)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    for role in ROLES:
        client = app.test_client()  # no app context held open: each request gets a fresh `g`
        if role != "anonymous":
            with app.app_context():
                username = db.session.get(User, ids[role]).username
            response = login(client, username)
            assert response.status_code == 303, response.text
        world.tokens[role] = csrf_from(client.get("/login" if role == "anonymous" else "/").text)
        world.cookies[role] = client.get_cookie(cookie_name).value
    with app.app_context():
        db.engine.dispose()  # the last connection closes: the WAL is folded into the file
    return Seed(path=folder / DB_FILE, world=world)


def copy_seed(seed: Seed, tmp_path: Path) -> None:
    """Put a copy of the seeded database where the `app` fixture will open it."""
    if seed.path is None:
        return
    for suffix in ("", "-wal"):
        source = seed.path.with_name(seed.path.name + suffix)
        if source.exists():
            shutil.copyfile(source, tmp_path / (DB_FILE + suffix))


def open_world(app, seed: Seed) -> World:
    """The world of this test's database (built now on PostgreSQL)."""
    share_compiled_templates(app)
    if seed.world is None:
        return World(ids=populate())
    return World(ids=dict(seed.world.ids), cookies=dict(seed.world.cookies),
                 tokens=dict(seed.world.tokens))


def sign_in(client, world: World, role: str) -> None:
    """Make the client the world's user of `role` (or an anonymous visitor)."""
    if role in world.cookies:
        client.set_cookie(client.application.config["SESSION_COOKIE_NAME"], world.cookies[role])
        return
    if role != "anonymous":
        response = login(client, world.user(role).username)
        assert response.status_code == 303, response.text


def csrf_token(client, world: World, role: str) -> str:
    """A valid CSRF token for the client's session as `role`."""
    if role in world.tokens:
        return world.tokens[role]
    return csrf_from(client.get("/login" if role == "anonymous" else "/").text)


# --- routes ---------------------------------------------------------------------------------


def rule_cases(app) -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every rule of the app and each of GET/POST it accepts."""
    cases = {
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in METHODS
        if method in (rule.methods or ())
    }
    return sorted(cases)


def route_cases() -> list[tuple[str, str, str]]:
    """The route cases, read at collection time for parametrising."""
    # A throwaway app only to read its url_map; it never opens a database.
    return rule_cases(create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "SECRET_KEY": "collect-only-0123456789abcdefghijklmnop",
    }))


def case_id(case: tuple[str, str, str]) -> str:
    """A readable test id for a route case."""
    endpoint, path, method = case
    return f"{method} {path} {endpoint}"


def find_rule(app, endpoint: str, path: str) -> Rule:
    """The url_map rule collected as (endpoint, path)."""
    for rule in app.url_map.iter_rules(endpoint):
        if rule.rule == path:
            return rule
    raise AssertionError(f"route {path} ({endpoint}) is gone from url_map")


def build_url(rule: Rule, world: World) -> str:
    """The rule's URL with real ids; fails loudly on an argument nobody taught us."""
    needed = sorted(set(rule.arguments) - set(rule.defaults or {}))
    unknown = [name for name in needed if name not in ARGUMENTS]
    if unknown:
        pytest.fail(
            f"route {rule.rule} ({rule.endpoint}) takes {', '.join(unknown)}, which "
            "tests/routes_helper.py cannot fill: add it to ARGUMENTS so the access matrix, "
            "the CSRF tests and the GET tests cover this route",
            pytrace=False,
        )
    values = {
        name: ENDPOINT_ARGUMENTS.get((rule.endpoint, name), ARGUMENTS[name])(world)
        for name in needed
    }
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"cannot build {rule.rule} from {needed}"
    return built[1]


def urls(app, world: World, method: str) -> list[str]:
    """A real URL for every rule that accepts `method`."""
    return [build_url(find_rule(app, endpoint, path), world)
            for endpoint, path, m in rule_cases(app) if m == method]


def request_route(client, method: str, url: str, *, htmx: bool, token: str | None):
    """Send GET or POST, as a page or an htmx request, with or without a CSRF token."""
    headers = dict(HX) if htmx else {}
    if method == "GET":
        return client.get(url, headers=headers)
    data = {}
    if token is not None:
        data["csrf_token"] = token
        if htmx:
            headers["X-CSRFToken"] = token  # what hx-headers in base.html sends
    return client.post(url, data=data, headers=headers)


# --- database state -------------------------------------------------------------------------


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, to prove that a request changed nothing."""
    state = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        state[table.name] = sorted((tuple(row) for row in rows), key=repr)
    db.session.rollback()  # end the read transaction; requests start their own
    return state


def row_counts() -> dict[str, int]:
    """Row count per table."""
    counts = {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }
    db.session.rollback()
    return counts


WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


@contextmanager
def recorded_writes() -> Iterator[list[str]]:
    """Every statement that would change the database, as the app sends it."""
    writes: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if WRITE.match(statement):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield writes
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def changed_tables(before: dict, after: dict) -> list[str]:
    """Names of the tables whose rows differ."""
    return sorted(name for name in before.keys() | after.keys()
                  if before.get(name) != after.get(name))
