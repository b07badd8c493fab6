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
