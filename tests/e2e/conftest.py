"""Browser tests: Debian's Chromium (never `playwright install`) driving the app served by a
live server on a throwaway SQLite database with the demo center loaded.

Without /usr/lib/chromium/chromium every test here is skipped, and the run says so loudly.
"""

import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from app import ROOT, create_app
from app.auth.models import LoginThrottle
from app.auth.services import address_key
from app.config import Config
from app.demo import DEMO_PASSWORD, load_demo
from app.extensions import db
from app.people.models import User
from app.timeutil import as_utc, utcnow
from tests.conftest import test_config

CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SKIPPED_LINE = f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM}"
HERE = Path(__file__).resolve().parent
_skipped: list[str] = []


def _is_here(item) -> bool:
    path = Path(item.path).resolve()
    return path.parent == HERE or HERE in path.parents


def pytest_collection_modifyitems(config, items):
    """No Chromium, no browser tests: skip them with a reason that says what is missing."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium)"
    )
    for item in items:
        if _is_here(item):
            item.add_marker(skip)
            _skipped.append(item.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Make skipped browser tests impossible to miss at the end of the run."""
    if _skipped:
        terminalreporter.write_sep("!", SKIPPED_LINE, red=True, bold=True)
        terminalreporter.write_line(
            f"{SKIPPED_LINE} ({len(_skipped)} tests not run)", red=True, bold=True
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium, headless."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


SIGN_IN_ADDRESS = "127.0.0.1"  # every browser here signs in from loopback


@dataclass
class LiveServer:
    """The running app: its base URL, the app object, and every demo person's name.

    The app runs with the production sign-in throttle: 20 failures a minute from one address
    (successful sign-ins never count), and every browser here is 127.0.0.1. The tests sign in
    through the form where signing in is what they test (`before_sign_in` first, in case a
    test's wrong passwords used up the minute), and otherwise reuse one signed-in browser
    state per person, made once per run (`storage_state`)."""

    url: str
    app: Flask
    names: dict[str, str] = field(default_factory=dict)
    states: dict[str, dict] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def before_sign_in(self) -> None:
        """Wait, if need be, until the address throttle lets one more sign-in through, as the
        server counts its failures (the counter in its database, the window it started)."""
        limit = self.app.config["LOGIN_MAX_PER_ADDRESS_PER_MINUTE"]
        window = timedelta(minutes=1)
        with self.app.app_context():
            row = db.session.get(LoginThrottle, address_key(SIGN_IN_ADDRESS))
            db.session.remove()
        if row is None or row.count < limit:
            return
        wait = (as_utc(row.window_start) + window - utcnow()).total_seconds()
        if wait > 0:
            time.sleep(wait + 0.2)  # pacing against the server's window, not an assertion

    def storage_state(self, browser, username: str) -> dict:
        """Cookies of a browser that signed in as `username` through the form, made the
        first time a test asks and reused by every later one."""
        with self._lock:
            if username not in self.states:
                context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
                try:
                    page = context.new_page()
                    page.goto(f"{self.url}/login")
                    page.fill("#username", username)
                    page.fill("#password", DEMO_PASSWORD)
                    self.before_sign_in()
                    page.click("main button[type=submit]")
                    expect(page.locator("main h1").first).to_contain_text(self.names[username])
                    self.states[username] = context.storage_state()
                finally:
                    context.close()
            return self.states[username]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app on a migrated SQLite file with the demo center, served on a free local port."""
    folder = tmp_path_factory.mktemp("live")
    app = create_app(test_config(
        folder,
        # Always its own SQLite file, also when the rest of the suite runs on PostgreSQL:
        # this server lives for the whole session while other tests reset their database.
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'live.sqlite'}",
        WTF_CSRF_ENABLED=True,
    ))
    # The production sign-in throttle, not a raised one: see LiveServer.
    assert (app.config["LOGIN_MAX_PER_ADDRESS_PER_MINUTE"]
            == Config.LOGIN_MAX_PER_ADDRESS_PER_MINUTE == 20)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_demo()
        names = dict(db.session.execute(select(User.username, User.name)).tuples().all())
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, names=names)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def base_url(live_server):
    """Relative URLs go to the live server. (This also replaces pytest-playwright's own
    base_url fixture, which pytest 9 warns about, and warnings are errors here.)"""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A browser set to Simplified Chinese in the center's time zone."""
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def screenshot():
    """screenshot(page, name): saved under $SCREENSHOT_DIR when it is set, else nothing."""
    folder = os.environ.get("SCREENSHOT_DIR")

    def take(page, name: str) -> None:
        if not folder:
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
        page.screenshot(path=str(Path(folder) / f"{safe}.png"), full_page=True)

    return take
