"""People and teams: the supervisor's management, the directory and profiles."""

from datetime import date

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.extensions import db
from app.people import services
from app.people.models import GradeChange, Team, User
from app.workflow import Refusal
from tests.conftest import HX, PASSWORD, csrf_from, login, post_form


def person_form(**overrides) -> dict:
    values = {
        "name": "李娜", "employee_no": "CF9001", "username": "lina", "phone": "13912345678",
        "role": "agent", "team_id": "", "grade": "junior", "hire_date": "2026-09-01",
        "probation_until": "2026-12-01", "status": "active",
    }
    values.update(overrides)
    return values


def test_supervisor_creates_a_person_with_a_one_time_password(client, login_as, make_team):
    login_as("supervisor")
    team = make_team("一组")
    response = post_form(client, "/people/new", person_form(team_id=str(team.id)),
                         token_page="/people/new")
    assert response.status_code == 200
    person = db.session.scalar(select(User).where(User.username == "lina"))
    assert person is not None and person.team_id == team.id
    assert person.must_change_password
    password = response.text.split('class="otp-value">')[1].split("<")[0]
    assert len(password) == 12
    fresh = client.application.test_client()
    assert login(fresh, "lina", password).headers["Location"] == "/password"
    assert db.session.scalar(select(func.count(GradeChange.id))
                             .where(GradeChange.user_id == person.id)) == 1
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.create"))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "This field is required"),
    ("employee_no", "CF 9001", "Letters, digits and - only"),
    ("username", "Li Na", "Lower-case letters"),
    ("phone", "call me", "Enter a mobile number (11 digits)"),
    ("phone", "=cmd|' /C calc'!A1", "Enter a mobile number (11 digits)"),
    ("phone", "1381234567", "Enter a mobile number (11 digits)"),     # 10 digits
    ("phone", "138123456789", "Enter a mobile number (11 digits)"),   # 12 digits
    ("phone", "12812345678", "Enter a mobile number (11 digits)"),    # no such mobile prefix
    ("role", "boss", "Not a valid choice"),
    ("grade", "", "Agents need a grade"),
    ("hire_date", "yesterday", "Not a valid date"),
    ("probation_until", "2026-08-01", "Probation cannot end before the hire date"),
    ("team_id", "999", "Not a valid choice"),
])
def test_bad_person_input_is_explained_beside_the_field(client, login_as, field, value, message):
    login_as("supervisor")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    before = db.session.scalar(select(func.count(User.id)))
    response = post_form(client, "/people/new", person_form(**{field: value}),
                         token_page="/people/new")
    assert response.status_code == 422
    error = response.text.split(f'id="{field}-error"')[1].split("</small>")[0]
    assert message in error
    assert db.session.scalar(select(func.count(User.id))) == before


# Issue 13: "Phone numbers are checked as Chinese mobile or landline numbers. Today the people
# import stores =cmd|' /C calc'!A1 as a phone number."
@pytest.mark.parametrize("phone", ["13812345678", "138 1234 5678", "+86 139-1234-5678",
                                   "010-12345678", "0755 1234567", "400-123-4567", ""])
def test_mobile_and_landline_numbers_are_accepted(phone):
    assert services.phone_problem(phone) is None


def test_the_people_import_checks_phone_numbers_and_employee_nos_ignoring_case(app, make_user):
    """"Employee nos. are unique ignoring case"; the import checks phones as the form does."""
    from app.people import importer

    make_user(employee_no="CF1001")
    base = {"name": "孙丽", "role": "座席员", "grade": "普通", "hire_date": "2026-01-05",
            "team": "", "username": "", "probation_until": ""}
    checks = importer.check_rows([
        {**base, "employee_no": "cf1001", "phone": "13800000001"},
        {**base, "employee_no": "CF2001", "phone": "=cmd|' /C calc'!A1"},
        {**base, "employee_no": "CF3001", "phone": "010-12345678"},
        {**base, "employee_no": "cf3001", "phone": ""}])
    assert checks[0].problems and "CF" not in "".join(checks[2].problems)
    assert checks[1].problems and checks[2].problems == []
    assert checks[3].problems  # the same number as the row above, in another case


def test_an_employee_no_in_another_case_is_taken(client, login_as, make_user):
    login_as("supervisor")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    make_user(employee_no="CF9001")
    response = post_form(client, "/people/new", person_form(employee_no="cf9001"),
                         token_page="/people/new")
    assert response.status_code == 422
    assert "already in use" in response.text.split('id="employee_no-error"')[1]


def test_duplicate_username_and_employee_no_are_refused(client, login_as, make_user):
    login_as("supervisor")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    make_user(username="lina", employee_no="CF9001")
    response = post_form(client, "/people/new", person_form(), token_page="/people/new")
    assert response.status_code == 422
    assert "already taken" in response.text.split('id="username-error"')[1]
    response = post_form(client, "/people/new", person_form(username="lina2"),
                         token_page="/people/new")
    assert "already in use" in response.text.split('id="employee_no-error"')[1]


def test_invalid_htmx_form_answers_with_the_form_fragment(client, login_as):
    login_as("supervisor")
    token = csrf_from(client.get("/people/new").text)
    response = client.post("/people/new", data={**person_form(name=""), "csrf_token": token},
                           headers={**HX, "HX-Target": "person-form"})
    assert response.status_code == 422
    assert "<html" not in response.text
    assert 'id="person-form"' in response.text


def test_edit_with_a_stale_version_answers_409(client, login_as, make_user):
    login_as("supervisor")
    agent = make_user(name="王芳")
    page = client.get(f"/people/{agent.id}/edit")
    token = csrf_from(page.text)
    agent.phone = "13700000000"
    db.session.commit()  # someone else saved first: the version moved on
    data = person_form(username=agent.username, employee_no=agent.employee_no, name="王芳芳",
                       version="1", probation_until="")
    response = client.post(f"/people/{agent.id}/edit", data={**data, "csrf_token": token})
    assert response.status_code == 409
    db.session.refresh(agent)
    assert agent.name == "王芳"


def test_edit_saves_and_records_before_and_after(client, login_as, make_user):
    login_as("supervisor")
    agent = make_user(name="王芳")
    data = person_form(username=agent.username, employee_no=agent.employee_no, name="王芳芳",
                       version=str(agent.version), probation_until="", hire_date="2025-01-01")
    response = post_form(client, f"/people/{agent.id}/edit", data,
                         token_page=f"/people/{agent.id}/edit")
    assert response.status_code == 303
    db.session.refresh(agent)
    assert agent.name == "王芳芳"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.update"))
    assert event.before_dict()["name"] == "王芳" and event.after_dict()["name"] == "王芳芳"


def test_deactivate_marks_left_and_releases_the_team(client, login_as, make_user, make_team):
    login_as("supervisor")
    lead = make_user(role="lead")
    team = make_team(lead=lead)
    response = post_form(client, f"/people/{lead.id}/deactivate", token_page=f"/people/{lead.id}")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, lead.id).status == "left"
    assert db.session.get(Team, team.id).lead_id is None
    fresh = client.application.test_client()
    assert login(fresh, lead.username).status_code == 422


def test_supervisor_cannot_deactivate_themselves(client, login_as):
    boss = login_as("supervisor")
    post_form(client, f"/people/{boss.id}/deactivate", token_page=f"/people/{boss.id}")
    db.session.refresh(boss)
    assert boss.status == "active"


def test_promotion_keeps_the_history(client, login_as, make_user):
    login_as("supervisor")
    agent = make_user(grade="junior")
    for grade, day in (("intermediate", "2026-01-01"), ("senior", "2026-07-01")):
        response = post_form(client, f"/people/{agent.id}/grade",
                             {"to_grade": grade, "effective_on": day, "note": "考核优秀"},
                             token_page=f"/people/{agent.id}/grade")
        assert response.status_code == 303
    db.session.refresh(agent)
    assert agent.grade == "senior"
    history = db.session.scalars(select(GradeChange).where(GradeChange.user_id == agent.id)
                                 .order_by(GradeChange.effective_on)).all()
    assert [(h.from_grade, h.to_grade) for h in history] == [
        ("junior", "intermediate"), ("intermediate", "senior")]
    page = client.get(f"/people/{agent.id}")
    assert "考核优秀" in page.text


def test_promotion_to_the_same_grade_is_refused(client, login_as, make_user):
    login_as("supervisor")
    agent = make_user(grade="senior")
    response = post_form(client, f"/people/{agent.id}/grade",
                         {"to_grade": "senior", "effective_on": "2026-01-01"},
                         token_page=f"/people/{agent.id}/grade")
    assert response.status_code == 422
    assert 'id="to_grade-error"' in response.text


def test_confirm_employment_early(client, login_as, make_user, clock):
    login_as("supervisor")
    agent = make_user(hire_date=date(2026, 10, 1), probation_until=date(2027, 1, 1))
    page = client.get(f"/people/{agent.id}")
    assert f"/people/{agent.id}/confirm" in page.text
    response = post_form(client, f"/people/{agent.id}/confirm", token_page=f"/people/{agent.id}")
    assert response.status_code == 303
    db.session.refresh(agent)
    assert agent.probation_until is None
    assert agent.confirmed_early_on == date(2026, 11, 20)
    assert not agent.on_probation(date(2026, 11, 20))
    with pytest.raises(Refusal):
        services.confirm_employment(agent, date(2026, 11, 20))


def test_reset_password_gives_a_new_one_time_password(app, client, login_as, make_user):
    login_as("supervisor")
    agent = make_user()
    elsewhere = app.test_client()
    login(elsewhere, agent.username)
    response = post_form(client, f"/people/{agent.id}/reset-password",
                         token_page=f"/people/{agent.id}")
    assert response.status_code == 200
    password = response.text.split('class="otp-value">')[1].split("<")[0]
    assert elsewhere.get("/").status_code == 302  # the old session ended
    assert login(app.test_client(), agent.username, PASSWORD).status_code == 422
    assert login(app.test_client(), agent.username, password).headers["Location"] == "/password"


def test_teams_are_created_and_led(client, login_as, make_user):
    login_as("supervisor")
    lead = make_user(role="lead", name="赵强")
    response = post_form(client, "/teams/new", {"name": "四组", "lead_id": str(lead.id)},
                         token_page="/teams/new")
    assert response.status_code == 303
    team = db.session.scalar(select(Team).where(Team.name == "四组"))
    db.session.refresh(lead)
    assert team.lead_id == lead.id and lead.team_id == team.id
    again = post_form(client, "/teams/new", {"name": "五组", "lead_id": str(lead.id)},
                      token_page="/teams/new")
    assert again.status_code == 422
    agent = make_user(role="agent")
    not_lead = post_form(client, "/teams/new", {"name": "六组", "lead_id": str(agent.id)},
                         token_page="/teams/new")
    assert not_lead.status_code == 422
    clash = post_form(client, "/teams/new", {"name": "四组", "lead_id": ""},
                      token_page="/teams/new")
    assert clash.status_code == 422
    assert 'id="name-error"' in clash.text
    listing = client.get("/teams")
    assert "四组" in listing.text and "赵强" in listing.text


def test_directory_search_by_name_or_number_filters_and_pages(client, login_as, make_user,
                                                             make_team):
    team = make_team("二组")
    boss = login_as("supervisor")
    for n in range(30):
        make_user(name=f"陈{n:02d}", employee_no=f"X{n:03d}", team=team,
                  grade="senior" if n % 3 == 0 else "junior")
    make_user(name="离职者", status="left")
    assert "陈05" in client.get("/people?q=陈05").text
    by_number = client.get("/people?q=X007")
    assert "陈07" in by_number.text and "陈08" not in by_number.text
    seniors = client.get(f"/people?grade=senior&team={team.id}&per_page=100")
    assert seniors.text.count("陈") == 10
    first = client.get("/people?per_page=10")
    assert 'rel="next"' in first.text
    capped = client.get("/people?per_page=100000")
    assert capped.status_code == 200
    ignored = client.get("/people?grade=DROP TABLE&sort=password_hash")
    assert ignored.status_code == 200
    assert "离职者" in client.get("/people?status=left").text
    assert boss.name in client.get("/people?role=supervisor").text


def test_agents_do_not_see_people_who_left_nor_filter_by_details(client, login_as, make_user):
    login_as("agent")
    make_user(name="离职者", status="left")
    senior = make_user(name="高级座席", grade="senior")
    assert "离职者" not in client.get("/people").text
    # An agent's grade filter is ignored: it would reveal grades.
    listing = client.get("/people?grade=intermediate")
    assert senior.name in listing.text


def test_directory_fragment_for_active_search(client, login_as, make_user):
    login_as("agent")
    make_user(name="周杰")
    response = client.get("/people?q=周", headers={**HX, "HX-Target": "results"})
    assert response.status_code == 200
    assert "<html" not in response.text and "周杰" in response.text


def test_supervisor_home_shows_head_counts(client, login_as, make_user, make_team):
    team = make_team("三组")
    login_as("supervisor")
    for _ in range(3):
        make_user(team=team)
    home = client.get("/")
    assert "三组" in home.text
    counts = services.head_counts()
    assert dict(counts["team"])["三组"] == 3


def test_lead_home_lists_own_team(client, login_as, make_user):
    lead = login_as("lead")
    member = make_user(team=db.session.get(Team, lead.team_id), name="组员甲")
    outsider = make_user(name="外组乙")
    home = client.get("/")
    assert member.name in home.text and outsider.name not in home.text


def test_the_grade_button_and_page_are_for_agents_only(client, login_as, make_user):
    """people.policy.can_change_grade, asked by the page and by the view: "Grades are an
    agent's: a supervisor changes them (promotes), for agents only"."""
    login_as("supervisor")
    agent, lead = make_user(), make_user(role="lead")
    page = client.get(f"/people/{agent.id}")
    assert f"/people/{agent.id}/grade" in page.text and "调整职级" in page.text
    page = client.get(f"/people/{lead.id}")
    assert page.status_code == 200 and "/grade" not in page.text
    assert client.get(f"/people/{agent.id}/grade").status_code == 200
    assert client.get(f"/people/{lead.id}/grade").status_code == 404


@pytest.mark.parametrize(("role", "told"), [("lead", True), ("supervisor", False)])
def test_a_lead_is_told_that_detail_filters_search_their_own_team(client, login_as, role, told):
    """people.policy.can_filter_everyone_by_details: "Supervisors filter the whole center by
    details; a lead's filters search their own team"."""
    login_as(role)
    page = client.get("/people")
    assert ("只在您自己的班组内查找" in page.text) is told


# Issue 13: "One meaning of 'my team' for a lead: the team they lead (Team.lead_id),
# everywhere. Today a lead removed from a team keeps seeing its members' full profiles, phone
# numbers included, because two checks read viewer.team_id instead."
def test_a_lead_removed_from_a_team_no_longer_sees_its_members_in_full(client, login_as,
                                                                        make_user):
    lead = login_as("lead")
    team = db.session.get(Team, lead.team_id)
    member = make_user(team=team, name="组员甲", phone="13911112222")
    assert "13911112222" in client.get(f"/people/{member.id}").text  # while leading it
    assert "组员甲" in client.get("/").text
    assert "组员甲" in client.get("/people", query_string={"status": "active"}).text
    team.lead_id = make_user(role="lead").id  # another lead takes the team over
    db.session.commit()
    assert lead.team_id == team.id  # the old lead's own record still names the team
    page = client.get(f"/people/{member.id}")
    assert page.status_code == 200 and "13911112222" not in page.text
    assert "组员甲" not in client.get("/").text  # the home card lists no one of it
    assert "组员甲" not in client.get("/people", query_string={"status": "active"}).text


def test_a_lead_sees_the_team_they_lead_whatever_their_own_record_says(client, login_as,
                                                                       make_user, make_team):
    lead = login_as("lead", team=None)
    team = make_team("七组", lead=lead)
    lead.team_id = None  # led, but the lead's own record is in no team
    db.session.commit()
    member = make_user(team=team, name="组员丙", phone="13933334444")
    assert "13933334444" in client.get(f"/people/{member.id}").text
    assert "组员丙" in client.get("/").text
    assert "组员丙" in client.get("/people", query_string={"status": "active"}).text
