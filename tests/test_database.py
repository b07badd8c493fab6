"""The write path on SQLite: requests queue for the write lock, and a request commits once."""

import subprocess
import sys
import threading

import pytest
from flask import Blueprint
from sqlalchemy import func, select

from app import access, areas
from app.database import WriterQueue
from app.extensions import db
from app.people.models import Team
from tests.conftest import HX, PG_URL, csrf_from


def test_the_queue_lets_one_thread_in_at_a_time(tmp_path):
    queue = WriterQueue(str(tmp_path / "db.writers"))
    assert queue.acquire()
    entered = threading.Event()

    def second():
        assert queue.acquire()
        entered.set()
        queue.release()

    waiter = threading.Thread(target=second)
    waiter.start()
    assert not entered.wait(0.3), "a second writer got in while the first was writing"
    queue.release()
    assert entered.wait(10), "the second writer was not let in after the first finished"
    waiter.join(10)


HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.readline()
fcntl.flock(fd, fcntl.LOCK_UN)
"""


def test_the_queue_holds_across_processes(tmp_path):
    """gunicorn's workers are processes: one holding the turn keeps the others out."""
    path = str(tmp_path / "db.writers")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, path], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        queue = WriterQueue(path)
        entered = threading.Event()

        def writer():
            assert queue.acquire()
            entered.set()
            queue.release()

        waiter = threading.Thread(target=writer)
        waiter.start()
        assert not entered.wait(0.3), "got in while another process was writing"
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert entered.wait(10), "not let in after the other process finished"
        waiter.join(10)
    finally:
        holder.kill()
        holder.wait(10)


@pytest.fixture
def writing_app(app):
    """The app with two extra routes: one that commits once, one that writes after its
    commit."""
    bp = Blueprint("probe", __name__)

    @bp.route("/probe/once", methods=["POST"])
    def once():
        db.session.add(Team(name="一次"))
        db.session.commit()
        return str(db.session.scalar(select(func.count(Team.id))))  # reading after is fine

    @bp.route("/probe/twice", methods=["POST"])
    def twice():
        db.session.add(Team(name="第一次"))
        db.session.commit()
        db.session.add(Team(name="第二次"))
        db.session.commit()
        return "no"

    areas.register(app, areas.Area("probe", blueprints=(bp,), access={
        "probe.once": access.PUBLIC, "probe.twice": access.PUBLIC}))
    return app


@pytest.mark.skipif(bool(PG_URL), reason="the SQLite write path: PostgreSQL locks rows instead")
def test_a_request_may_read_after_its_commit_but_not_write(writing_app):
    client = writing_app.test_client()
    token = csrf_from(client.get("/login").text)
    response = client.post("/probe/once", data={"csrf_token": token}, headers=HX)
    assert response.status_code == 200
    assert response.text == "1"
    response = client.post("/probe/twice", data={"csrf_token": token})
    assert response.status_code == 500
    assert "Traceback" not in response.text
    db.session.rollback()
    names = set(db.session.scalars(select(Team.name)))
    assert names == {"一次", "第一次"}  # the write after the commit was refused
