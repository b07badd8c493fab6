"""sampling rules: who a published rule covers is fixed when it is published

Revision ID: 8e4b1f2c7a90
Revises: 43c6e31cc84d
Create Date: 2026-12-06 10:00:00

The rules already published get the list their scope named on the day of publication, as the
audit trail records the people then: someone added after publication is left out, and a
person's role, team and status at publication are the "before" of their first recorded change
after it (or what they are now, when nothing changed since).
"""
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = '8e4b1f2c7a90'
down_revision = '43c6e31cc84d'
branch_labels = None
depends_on = None

FIELDS = ('role', 'team_id', 'status')


def _aware(moment):
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _people_at(people, events, moment):
    """Each person's role, team and status at `moment`; people added after it are left out."""
    found = {}
    for person_id, values in people.items():
        state, known = dict(values), set()
        for at, action, before in events.get(person_id, ()):
            if at <= moment:
                continue
            if action == 'person.create':
                state = None  # added after publication
                break
            for field in FIELDS:
                if field in before and field not in known:
                    state[field] = before[field]
                    known.add(field)
        if state is not None:
            found[person_id] = state
    return found


def _covered(rule, people, named):
    """The ids the rule's scope names among `people` (as they were)."""
    scope, team_id = rule.scope, rule.team_id
    ids = []
    for person_id, state in people.items():
        if state['status'] == 'left' or state['role'] not in ('agent', 'lead'):
            continue
        if scope == 'team' and state['team_id'] != team_id:
            continue
        if scope == 'people' and person_id not in named:
            continue
        if scope == 'all' and state['role'] != 'agent':
            continue
        ids.append(person_id)
    return ids


def upgrade():
    op.create_table('sampling_rule_covered',
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['sampling_rule.id'], name=op.f('fk_sampling_rule_covered_rule_id_sampling_rule'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_sampling_rule_covered_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rule_id', 'user_id', name=op.f('pk_sampling_rule_covered'))
    )
    with op.batch_alter_table('sampling_rule_covered', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sampling_rule_covered_user_id'), ['user_id'], unique=False)

    conn = op.get_bind()
    rule = sa.table('sampling_rule', sa.column('id', sa.Integer()),
                    sa.column('scope', sa.String()), sa.column('team_id', sa.Integer()),
                    sa.column('status', sa.String()),
                    sa.column('published_at', sa.DateTime(timezone=True)))
    rules = conn.execute(sa.select(rule.c.id, rule.c.scope, rule.c.team_id, rule.c.published_at)
                         .where(rule.c.status == 'published',
                                rule.c.published_at.is_not(None))).all()
    if not rules:
        return
    people = {row.id: {'role': row.role, 'team_id': row.team_id, 'status': row.status}
              for row in conn.execute(sa.text('SELECT id, role, team_id, status FROM "user"'))}
    events = {}
    trail = sa.table('audit_event', sa.column('id', sa.Integer()),
                     sa.column('at', sa.DateTime(timezone=True)), sa.column('action', sa.String()),
                     sa.column('object_type', sa.String()), sa.column('object_id', sa.String()),
                     sa.column('before', sa.Text()))
    for row in conn.execute(sa.select(trail.c.at, trail.c.action, trail.c.object_id,
                                      trail.c.before)
                            .where(trail.c.object_type == 'user',
                                   trail.c.action.like('person.%'))
                            .order_by(trail.c.at, trail.c.id)):
        if not row.object_id.isdigit():
            continue
        before = json.loads(row.before or '{}')
        events.setdefault(int(row.object_id), []).append(
            (_aware(row.at), row.action, before if isinstance(before, dict) else {}))
    named_rows = conn.execute(sa.text('SELECT rule_id, user_id FROM sampling_rule_person')).all()
    covered = sa.table('sampling_rule_covered', sa.column('rule_id', sa.Integer()),
                       sa.column('user_id', sa.Integer()))
    for rule in rules:
        then = _people_at(people, events, _aware(rule.published_at))
        named = {user_id for rule_id, user_id in named_rows if rule_id == rule.id}
        ids = _covered(rule, then, named)
        if ids:
            conn.execute(covered.insert(), [{'rule_id': rule.id, 'user_id': i} for i in ids])


def downgrade():
    with op.batch_alter_table('sampling_rule_covered', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sampling_rule_covered_user_id'))

    op.drop_table('sampling_rule_covered')
