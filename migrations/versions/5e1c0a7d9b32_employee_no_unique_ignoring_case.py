"""Employee nos. are unique ignoring case (CF1001 and cf1001 are one number).

A database that already holds two numbers differing only in case is refused, with the list,
before anything changes: the supervisor decides which record keeps which number.

Revision ID: 5e1c0a7d9b32
Revises: 03dedaff684c
Create Date: 2026-12-06 16:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "5e1c0a7d9b32"
down_revision = "03dedaff684c"
branch_labels = None
depends_on = None


def upgrade():
    clashes = op.get_bind().execute(sa.text(
        'SELECT lower(employee_no), count(*) FROM "user" GROUP BY lower(employee_no) '
        "HAVING count(*) > 1 ORDER BY lower(employee_no)")).all()
    if clashes:
        listed = "; ".join(
            ", ".join(row[0] for row in op.get_bind().execute(sa.text(
                'SELECT employee_no FROM "user" WHERE lower(employee_no) = :number '
                "ORDER BY employee_no"), {"number": number}))
            for number, _count in clashes)
        raise RuntimeError(
            "These employee nos. differ only in upper and lower case; give each person a "
            f"number of their own, then upgrade again: {listed}")
    op.create_index("uq_user_employee_no_nocase", "user", [sa.text("lower(employee_no)")],
                    unique=True)


def downgrade():
    op.drop_index("uq_user_employee_no_nocase", table_name="user")
