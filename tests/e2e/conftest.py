"""Browser tests: Debian's Chromium (never `playwright install`) driving the app served by a
live server on a throwaway SQLite database with the demo center loaded.

Without /usr/lib/chromium/chromium every test here is skipped, and the run says so loudly.
"""

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from app import ROOT, create_app
from app.demo import load_demo
from app.extensions import db
from app.staff.models import User
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


@dataclass
class LiveServer:
    """The running app: its base URL, the app object, and every demo person's name."""

    url: str
    app: Flask
    names: dict[str, str] = field(default_factory=dict)


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
        # Every browser signs in from 127.0.0.1; the address throttle is tested elsewhere.
        LOGIN_MAX_PER_ADDRESS_PER_MINUTE=10_000,
    ))
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
