"""The app starts and serves its sign-in page in Chinese by default."""

from tests.conftest import login


def test_login_page_renders_in_chinese(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.text


def test_supervisor_reaches_home(client, make_user):
    user = make_user(role="supervisor")
    response = login(client, user.username)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert user.name in home.text


def test_the_team_card_is_for_people_in_teams(app, make_user, make_team):
    """Agents and leads see their team (or that they have none yet); supervisors and
    reviewers, who work for the whole center, get no empty team card."""
    lead = make_user(role="lead", name="带队人")
    team = make_team(lead=lead)
    for person, shown in ((make_user(team=team), True), (make_user(), True),
                          (make_user(role="supervisor"), False), (make_user(role="qa"), False),
                          (make_user(role="qa", team=team), True)):
        client = app.test_client()
        assert login(client, person.username).status_code == 303
        assert ('id="card-team"' in client.get("/").text) is shown, person.role
