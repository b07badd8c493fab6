"""The audit trail: every change of state writes its row in the same transaction, the chain
verifies, tampering is caught, no secret reaches it, and supervisors can browse it."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app import audit
from app.audit import AuditEvent
from app.auth import services as auth_services
from app.auth.models import LoginThrottle
from app.extensions import db
from app.people import services
from app.people.models import Team, User
from app.timeutil import utcnow
from tests.conftest import HX, PASSWORD, csrf_from, login, post_form


def audit_rows() -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def person_data(user: User | None = None, **changes) -> services.PersonData:
    """PersonData for a new person, or for `user` as it stands, with `changes` applied."""
    if user is None:
        values = dict(username="newperson", employee_no="N0001", name="新员工", phone="",
                      role="agent", team_id=None, grade="junior", hire_date=date(2026, 1, 5),
                      probation_until=None)
    else:
        values = {name: getattr(user, name) for name in services.PERSON_FIELDS}
    values.update(changes)
    return services.PersonData(**values)


# Each case: set up what the service needs, then return
#   (act, changed, expected action, object type): `act()` runs the service without committing
#   and returns the object it changed; `changed()` reads the database and says whether the
#   change is there.
def case_create(make_user, make_team):
    def changed():
        return db.session.scalar(select(User).where(User.username == "newperson")) is not None

    return (lambda: services.create_person(person_data())[0]), changed, "person.create", "user"


def case_update(make_user, make_team):
    user = make_user(name="王芳")
    return (
        lambda: (services.update_person(user, person_data(user, name="王芳芳")), user)[1],
        lambda: db.session.get(User, user.id).name == "王芳芳",
        "person.update", "user",
    )


def case_deactivate(make_user, make_team):
    user = make_user()
    return (
        lambda: (services.deactivate_person(user), user)[1],
        lambda: db.session.get(User, user.id).status == "left",
        "person.deactivate", "user",
    )


def case_promote(make_user, make_team):
    user = make_user(grade="junior")
    return (
        lambda: (services.promote(user, "senior", date(2026, 2, 1), "考核优秀"), user)[1],
        lambda: db.session.get(User, user.id).grade == "senior",
        "person.grade", "user",
    )


def case_confirm(make_user, make_team):
    user = make_user(hire_date=date(2026, 1, 1), probation_until=date(2099, 1, 1))
    return (
        lambda: (services.confirm_employment(user, date(2026, 2, 1)), user)[1],
        lambda: db.session.get(User, user.id).probation_until is None,
        "person.confirm", "user",
    )


def case_reset_password(make_user, make_team):
    user = make_user()
    old_hash = user.password_hash
    return (
        lambda: (services.reset_password(user), user)[1],
        lambda: db.session.get(User, user.id).password_hash != old_hash,
        "person.reset_password", "user",
    )


def case_team_create(make_user, make_team):
    def changed():
        return db.session.scalar(select(Team).where(Team.name == "四组")) is not None

    return (lambda: services.save_team(None, "四组", None)), changed, "team.create", "team"


def case_team_update(make_user, make_team):
    team = make_team(name="五组")
    lead = make_user(role="lead")
    return (
        lambda: services.save_team(team, "五组 · 投诉", lead.id),
        lambda: db.session.get(Team, team.id).lead_id == lead.id,
        "team.update", "team",
    )


def case_sign_in(make_user, make_team):
    """A sign-in after a failed one: it clears the failure count (a success counts against
    nothing, SECURITY.md), and writes its own row."""
    user = make_user()
    auth_services.record_failure(user.username)
    db.session.commit()
    key = auth_services.account_key(user.username)

    def act():
        result = auth_services.authenticate(user.username, PASSWORD, "10.0.0.7")
        assert result.user is not None
        return result.user

    return (
        act,
        lambda: db.session.get(LoginThrottle, key) is None,
        "auth.sign_in", "user",
    )


def case_sign_out(make_user, make_team):
    user = make_user()
    return (
        lambda: (auth_services.sign_out(user), user)[1],
        lambda: db.session.get(User, user.id).session_epoch == 2,
        "auth.sign_out", "user",
    )


def case_password_change(make_user, make_team):
    user = make_user()
    old_hash = user.password_hash
    return (
        lambda: (auth_services.change_password(user, "a brand new phrase"), user)[1],
        lambda: db.session.get(User, user.id).password_hash != old_hash,
        "auth.password_change", "user",
    )


def case_unlock(make_user, make_team):
    user = make_user()
    db.session.add(LoginThrottle(
        key=auth_services.account_key(user.username), count=0, window_start=utcnow(),
        locked_until=utcnow() + timedelta(minutes=15),
    ))
    db.session.commit()
    return (
        lambda: (auth_services.unlock_account(user), user)[1],
        lambda: not auth_services.account_locked(user.username),
        "account.unlock", "user",
    )


CASES = {
    "create person": case_create,
    "update person": case_update,
    "deactivate": case_deactivate,
    "promote": case_promote,
    "confirm employment": case_confirm,
    "reset password": case_reset_password,
    "create team": case_team_create,
    "rename team": case_team_update,
    "sign-in": case_sign_in,
    "sign-out": case_sign_out,
    "password change": case_password_change,
    "unlock": case_unlock,
}


@pytest.mark.parametrize("name", CASES)
def test_each_service_writes_its_audit_row_when_committed(app, make_user, make_team, name):
    act, changed, action, object_type = CASES[name](make_user, make_team)
    before = audit_count()
    obj = act()
    db.session.commit()
    assert changed()
    new = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert [(e.action, e.object_type, e.object_id) for e in new] == [
        (action, object_type, str(obj.id))
    ]
    assert new[0].at.tzinfo is not None and abs(new[0].at - utcnow()) < timedelta(minutes=1)
    if action.startswith("auth."):
        assert new[0].actor_id == obj.id  # the person acts on their own account
    assert audit.verify_chain().ok


@pytest.mark.parametrize("name", CASES)
def test_a_rolled_back_change_leaves_no_audit_row(app, make_user, make_team, name):
    act, changed, action, _object_type = CASES[name](make_user, make_team)
    before = audit_count()
    act()
    # Before commit the row sits in the same transaction as the change...
    pending = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert [e.action for e in pending] == [action]
    db.session.rollback()
    # ...and it goes with it.
    assert audit_count() == before
    assert not changed()


def test_language_switch_is_audited_with_the_change(app, client, login_as):
    user = login_as("agent")
    response = post_form(client, "/language", {"locale": "en", "next": "/"})
    assert response.status_code == 303
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.locale"))
    assert event.actor_id == user.id
    assert event.before_dict() == {"locale": None}
    assert event.after_dict() == {"locale": "en"}
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"


def test_no_change_is_saved_when_its_audit_row_cannot_be(app, client, login_as, monkeypatch):
    user = login_as("agent")
    token = csrf_from(client.get("/").text)
    before = audit_count()

    def broken_record(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken_record)
    response = client.post("/language", data={"locale": "en", "csrf_token": token})
    assert response.status_code == 500
    db.session.rollback()
    assert db.session.get(User, user.id).locale is None
    assert audit_count() == before


def test_supervisor_actions_record_who_role_and_where(app, client, login_as, make_user):
    boss = login_as("supervisor")
    agent = make_user(grade="junior", hire_date=date(2026, 1, 1),
                      probation_until=date(2099, 1, 1))
    page = f"/people/{agent.id}"
    assert post_form(client, f"{page}/grade", {"to_grade": "senior", "effective_on": "2026-02-01"},
                     token_page=f"{page}/grade").status_code == 303
    assert post_form(client, f"{page}/confirm", token_page=page).status_code == 303
    assert post_form(client, f"{page}/reset-password", token_page=page).status_code == 200
    assert post_form(client, "/teams/new", {"name": "六组", "lead_id": ""},
                     token_page="/teams/new").status_code == 303
    assert post_form(client, f"{page}/deactivate", token_page=page).status_code == 303
    assert post_form(client, "/logout").status_code == 303
    rows = audit_rows()
    assert [e.action for e in rows] == [
        "auth.sign_in", "person.grade", "person.confirm", "person.reset_password",
        "team.create", "person.deactivate", "auth.sign_out",
    ]
    for event in rows:
        assert (event.actor_id, event.actor_role, event.address) == (
            boss.id, "supervisor", "127.0.0.1"), event.action
    assert rows[1].before_dict() == {"grade": "junior"}
    assert rows[1].after_dict()["grade"] == "senior"


def test_chain_verifies(app, runner, make_user, make_team):
    for name in ("promote", "create team", "sign-in", "sign-out"):
        act, *_ = CASES[name](make_user, make_team)
        act()
        db.session.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    assert "Audit chain intact: 5 rows." in result.output  # the sign-in case fails once first


def test_empty_chain_verifies(app, runner):
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0
    assert "0 rows" in result.output


def write_rows(n: int = 5) -> None:
    for i in range(1, n + 1):
        audit.record("test.event", object_type="test", object_id=i, after={"grade": "junior"})
        db.session.commit()


def bypass_append_only() -> None:
    """What an attacker with database access would do: switch the guard off."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    else:
        db.session.execute(text("DROP TRIGGER audit_event_no_update"))
        db.session.execute(text("DROP TRIGGER audit_event_no_delete"))
    db.session.commit()


def test_changed_row_is_detected(app, runner):
    write_rows()
    bypass_append_only()
    db.session.execute(
        text("""UPDATE audit_event SET "after" = '{"grade": "senior"}' WHERE id = 3""")
    )
    db.session.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code != 0
    assert "broken at row 3 (hash)" in result.output
    assert "after 2 good rows" in result.output


def test_changed_row_with_recomputed_hash_breaks_the_next_link(app, runner):
    write_rows()
    bypass_append_only()
    row = db.session.get(AuditEvent, 3)
    row.after = '{"grade": "senior"}'
    row.hash = row.compute_hash()
    db.session.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code != 0
    assert "broken at row 4 (link)" in result.output


def test_deleted_middle_row_is_detected(app, runner):
    write_rows()
    bypass_append_only()
    db.session.execute(text("DELETE FROM audit_event WHERE id = 3"))
    db.session.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code != 0
    assert "broken at row 4 (link)" in result.output


def test_database_refuses_to_change_or_delete_audit_rows(app):
    write_rows(2)
    row = db.session.get(AuditEvent, 1)
    row.after = '{"grade": "senior"}'
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, 2))
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert audit_count() == 2
    assert audit.verify_chain().ok


def test_no_password_or_hash_ever_reaches_the_trail(app, client, login_as, make_user):
    login_as("supervisor")
    person, created_password = services.create_person(person_data())
    db.session.commit()
    agent = make_user()
    page = f"/people/{agent.id}"
    response = post_form(client, f"{page}/reset-password", token_page=page)
    one_time = re.search(r'class="otp-value">([^<]+)<', response.text).group(1)
    # The agent signs in with the one-time password and chooses their own.
    own = app.test_client()
    assert login(own, agent.username, one_time).headers["Location"] == "/password"
    new_password = "a brand new phrase"
    response = post_form(own, "/password", {"current_password": one_time,
                                            "new_password": new_password,
                                            "confirm": new_password}, token_page="/password")
    assert response.status_code == 303
    services.update_person(agent, person_data(agent, name="改名"))
    db.session.commit()

    db.session.expire_all()
    hashes = [u.password_hash for u in db.session.scalars(select(User))]
    secrets = [PASSWORD, created_password, one_time, new_password, *hashes]
    rows = audit_rows()
    assert {"person.create", "person.reset_password", "auth.password_change",
            "person.update"} <= {e.action for e in rows}
    for event in rows:
        stored = " ".join(str(getattr(event, c.name)) for c in AuditEvent.__table__.columns)
        for secret in secrets:
            assert secret not in stored, event.action
        assert "$argon2" not in stored
        for state in (event.before_dict(), event.after_dict()):
            assert not set(state) & audit.SECRET_FIELDS, event.action


def audit_table(html: str) -> list[tuple[str, str]]:
    """(who, action) for each row of the audit table."""
    body = html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    result = []
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        who = re.sub(r"<small.*?</small>", "", cells[1], flags=re.S).strip()
        action = re.search(r"<code>([^<]+)</code>", cells[2]).group(1)
        result.append((who, action))
    return result


def test_supervisor_browses_and_filters_the_trail(app, client, login_as, make_user):
    boss = login_as("supervisor")
    agent = make_user(grade="junior")
    assert login(app.test_client(), agent.username).status_code == 303
    page = f"/people/{agent.id}"
    post_form(client, f"{page}/grade", {"to_grade": "senior", "effective_on": "2026-02-01"},
              token_page=f"{page}/grade")

    everything = client.get("/audit")
    assert everything.status_code == 200
    assert audit_table(everything.text) == [
        (boss.name, "person.grade"), (agent.name, "auth.sign_in"), (boss.name, "auth.sign_in"),
    ]

    by_action = client.get("/audit", query_string={"action": "person.grade"})
    assert audit_table(by_action.text) == [(boss.name, "person.grade")]
    by_prefix = client.get("/audit", query_string={"action": "auth."})
    assert [a for _w, a in audit_table(by_prefix.text)] == ["auth.sign_in", "auth.sign_in"]

    by_actor = client.get("/audit", query_string={"actor": agent.username.upper()})
    assert audit_table(by_actor.text) == [(agent.name, "auth.sign_in")]
    by_both = client.get("/audit", query_string={"actor": boss.username, "action": "auth"})
    assert audit_table(by_both.text) == [(boss.name, "auth.sign_in")]
    nobody = client.get("/audit", query_string={"actor": "nobody-here"})
    assert audit_table(nobody.text) == []

    # Issue 13: "The action filter finds what it shows: typing 新增人员 or 登录 finds those
    # rows" (the names the trail shows, in either language, and the codes).
    by_words = client.get("/audit", query_string={"action": "登录"})
    assert [a for _w, a in audit_table(by_words.text)] == ["auth.sign_in", "auth.sign_in"]
    by_english = client.get("/audit", query_string={"action": "grade changed"})
    assert audit_table(by_english.text) == [(boss.name, "person.grade")]
    assert audit_table(client.get("/audit", query_string={"action": "新增人员"}).text) == []
    post_form(client, "/people/new", {
        "name": "李娜", "employee_no": "CF9001", "username": "lina", "phone": "13912345678",
        "role": "agent", "team_id": "", "grade": "junior", "hire_date": "2026-09-01",
        "probation_until": "", "status": "active"}, token_page="/people/new")
    added = client.get("/audit", query_string={"action": "新增人员"})
    assert audit_table(added.text) == [(boss.name, "person.create")]

    fragment = client.get("/audit", query_string={"action": "person."},
                          headers={**HX, "HX-Target": "results"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert audit_table(fragment.text) == [(boss.name, "person.create"), (boss.name, "person.grade")]


def test_the_trail_reads_in_words_and_links_its_objects(app, client, login_as, make_user):
    """Every kind of object is named and can be filtered on; a person links to their page;
    recorded moments show in the center's time, empty values as a dash."""
    from app.areas import audit_objects

    object_labels = audit_objects(app)
    login_as("supervisor")
    agent = make_user(grade="junior", name="被调级人")
    page = f"/people/{agent.id}"
    post_form(client, f"{page}/grade", {"to_grade": "senior", "effective_on": "2026-02-01"},
              token_page=f"{page}/grade")
    audit.record("leave.ask", object_type="leave_request", object_id=7,
                 before={"decided_at": None},
                 after={"decided_at": "2026-03-01T17:05:00+00:00", "shifts": [3, 4]})
    db.session.commit()
    trail = client.get("/audit").text
    options = trail.split('id="object_type"')[1].split("</select>")[0]
    assert all(f'value="{kind}"' in options for kind in object_labels)
    assert '<option value="evaluation">质检评分</option>' in options
    assert f'<a href="/people/{agent.id}">人员 被调级人 ({agent.employee_no})</a>' in trail
    assert '<a href="/leave/7">请假申请 7</a>' in trail
    assert "2026/3/2 01:05" in trail  # 17:05 UTC is the next day, 01:05, in Shanghai
    assert "<del>—</del>" in trail and "<ins>3, 4</ins>" in trail
    assert "None" not in trail and "T17:05" not in trail
    only = client.get("/audit", query_string={"object_type": "leave_request"}).text
    assert [a for _w, a in audit_table(only)] == ["leave.ask"]
    assert re.search(r"<td>\s*人员", only) is None


def test_fields_and_values_read_as_the_pages_show_them(app, client, login_as, make_user,
                                                       make_team):
    """Issue 13: "Field names are the labels the forms show, and values are the words the
    pages show, e.g. status: 待组长审批 → 待主管审批, never pending_leads. Objects are named:
    人员 张三 (CF1001), never 人员 45" (point 14)."""
    login_as("supervisor")
    team = make_team("一组")
    person = make_user(name="张三", employee_no="CF1001", grade="junior")
    audit.record("leave.approve", object_type="leave_request", object_id=9,
                 before={"status": "pending_lead"}, after={"status": "pending_supervisor"})
    audit.record("person.update", person, before={"role": "agent", "team_id": None,
                                                  "status": "active"},
                 after={"role": "lead", "team_id": team.id, "status": "retraining"})
    db.session.commit()
    trail = client.get("/audit").text
    assert "状态：</span> <del>待组长审批</del> → <ins>待主管审批</ins>" in trail
    assert "pending_lead" not in trail
    assert "角色：</span> <del>座席员</del> → <ins>组长</ins>" in trail
    assert "班组：</span> <del>—</del> → <ins>一组</ins>" in trail
    assert "状态：</span> <del>在岗</del> → <ins>待岗培训</ins>" in trail
    assert f'<a href="/people/{person.id}">人员 张三 (CF1001)</a>' in trail


def test_every_table_an_audit_row_can_name_has_a_label(app):
    """A new kind of object gets a name in the trail (and a filter entry); the tables listed
    here are only ever changed as part of another object's audited change."""
    from app.areas import audit_objects

    # A notification is written as part of the decision it tells about (audited there); it
    # changes no record of the center.
    parts = {"audit_event", "deduction", "grade_change", "leave_step", "sampled_call",
             "sampling_rule_person", "sampling_rule_covered", "swap_step", "notification"}
    assert set(db.metadata.tables) - parts <= set(audit_objects(app))


@pytest.mark.parametrize("role", ["agent", "lead", "qa"])
@pytest.mark.parametrize("headers", [{}, HX])
def test_only_supervisors_see_the_trail(client, login_as, role, headers):
    login_as(role)
    response = client.get("/audit", query_string={"action": "auth"}, headers=headers)
    assert response.status_code == 403
    assert "auth.sign_in" not in response.text


def test_every_audited_action_has_a_name_in_the_list(app):
    """The audit list names each action in words; a new action without a name fails here."""
    import re
    from pathlib import Path

    from app.areas import audit_actions

    action_labels = audit_actions(app)

    root = Path(__file__).resolve().parent.parent / "app"
    found = set()
    for path in root.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "audit.record(" in line:
                found.update(re.findall(r'"([a-z_]+\.[a-z_]+)"', line))
    found |= {f"swap.{a}" for a in ("agree", "decline", "sign", "approve", "reject")}
    assert found, "no audit.record calls found?"
    assert found <= set(action_labels), sorted(found - set(action_labels))
