"""Statements built once per app (app/statements.py): a cached statement can never hold one
person's values, and each app keeps its own."""

import pytest
from sqlalchemy import select

from app import create_app, statements
from app.people.models import Role, User
from app.staff import leave


def test_a_stand_in_offers_only_a_role_and_an_id_bound_when_the_statement_runs():
    someone = statements.Person(Role.LEAD)
    assert someone.role == Role.LEAD and someone.id.key == "person_id"
    with pytest.raises(AttributeError):
        someone.team_id  # noqa: B018  (a query reading more than role and id fails at once)


def test_a_waiting_query_built_for_a_stand_in_binds_the_person_later(app, make_user):
    """leave.waiting_for reads only the role and the id: the same statement serves every
    lead, each run with their own id."""
    stmt = leave.waiting_for(statements.Person(Role.LEAD))
    assert "person_id" in str(stmt.compile())
    assert statements.person_args(make_user(role=Role.LEAD)).keys() == {"person_id"}


def test_a_statement_is_built_once_per_key_and_per_app(app, tmp_path):
    built = []

    def build():
        built.append(1)
        return select(User.id)

    first = statements.once(("probe",), build)
    assert statements.once(("probe",), build) is first
    assert len(built) == 1
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with other.app_context():
        statements.once(("probe",), build)
    assert len(built) == 2  # another app builds its own
