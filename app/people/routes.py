"""People and teams: directory, profiles and the supervisor's management of them."""

from flask import Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from app import areas, confirm, imports
from app.extensions import db
from app.forms import ConfirmForm, choices, show_refusal
from app.htmx import render, see_other
from app.i18n import lazy_gettext as _l
from app.imports import ImportBatch
from app.pagination import paginate
from app.people import bp, importer, policy, services
from app.people.forms import (
    GRADE_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    GradeForm,
    ImportForm,
    PersonForm,
    TeamForm,
)
from app.people.models import GradeChange, Role, Status, Team, User
from app.timeutil import center_today
from app.web import row_id
from app.workflow import Refusal

FILTERS = {"role": ROLE_LABELS, "grade": GRADE_LABELS, "status": STATUS_LABELS}


def load_person(person_id: int) -> User:
    """The person, or 404 when missing or outside the viewer's scope."""
    person = db.session.get(User, person_id)
    if not policy.can_see_person(current_user, person):
        abort(404)
    return person


def team_choices(blank: str) -> list[tuple]:
    """Teams for a select field."""
    teams = db.session.scalars(select(Team).order_by(Team.name))
    return choices([(None, blank), *((t.id, t.name) for t in teams)])


@bp.route("/people")
def list_people():
    """The people directory: search by name or employee no., filters, paging."""
    q = request.args.get("q", "").strip()[:64]
    team_id = request.args.get("team", type=row_id)
    stmt = policy.visible_people(
        current_user, select(User).options(joinedload(User.team))
    ).order_by(User.employee_no)
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(User.name.ilike(like, escape="\\"),
                              User.employee_no.ilike(like, escape="\\")))
    if team_id:
        stmt = stmt.where(User.team_id == team_id)
    chosen = {}
    if policy.can_filter_details(current_user):
        for key, labels in FILTERS.items():
            value = request.args.get(key, "")
            if value in labels:  # whitelisted: never reflected onto a column blindly
                chosen[key] = value
                stmt = stmt.where(getattr(User, key) == value)
        if chosen:
            stmt = policy.detail_scope(current_user, stmt)
    page = paginate(stmt)
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    args = {k: v for k, v in {"q": q, "team": team_id or "", **chosen}.items() if v}
    return render(
        "people/list_people.html", block="results", page=page, teams=teams, q=q,
        team_id=team_id, chosen=chosen, args=args, filters=FILTERS,
        can_filter=policy.can_filter_details(current_user),
    )


@bp.route("/people/<int:person_id>")
def show_person(person_id: int):
    """A profile: everyone sees name, no. and team; the rest per policy."""
    person = load_person(person_id)
    full = policy.can_see_full(current_user, person)
    history = []
    if full:
        history = db.session.scalars(
            select(GradeChange).where(GradeChange.user_id == person.id)
            .options(joinedload(GradeChange.changed_by))
            .order_by(GradeChange.effective_on.desc(), GradeChange.id.desc())
        ).all()
    manage = policy.can_manage_people(current_user)
    return render(
        "people/show_person.html", person=person, full=full, history=history,
        manage=manage, sections=areas.render_panels(areas.person_sections(), current_user, person),
        today=center_today(), action_form=ConfirmForm(),
    )


def _person_form(person: User | None = None) -> PersonForm:
    form = PersonForm(obj=person) if request.method == "GET" else PersonForm()
    form.team_id.choices = team_choices(_("— no team —"))
    return form


def _person_data(form: PersonForm) -> services.PersonData:
    return services.PersonData(
        username=form.username.data.strip().lower(),
        employee_no=form.employee_no.data.strip(),
        name=form.name.data.strip(),
        phone=(form.phone.data or "").strip(),
        role=form.role.data,
        team_id=form.team_id.data,
        grade=form.grade.data or None,
        hire_date=form.hire_date.data,
        probation_until=form.probation_until.data,
        status=form.status.data,
    )


@bp.route("/people/new", methods=["GET", "POST"])
def new_person():
    """Create a person with a one-time password."""
    form = _person_form()
    if request.method == "GET":
        form.hire_date.data = center_today()
        form.status.data = Status.ACTIVE
    if form.validate_on_submit():
        try:
            person, password = services.create_person(_person_data(form))
        except Refusal as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            return render("people/one_time_password.html", person=person, password=password,
                          created=True)
    return render("people/person_form.html", block="form", form=form, person=None,
                  status=422 if form.errors else 200)


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
def edit_person(person_id: int):
    """Change a person's record."""
    person = load_person(person_id)
    form = _person_form(person)
    if request.method == "GET":
        form.version.data = person.version
    if form.validate_on_submit():
        if form.stale(person):
            abort(409)
        try:
            services.update_person(person, _person_data(form))
        except Refusal as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return see_other(url_for("people.show_person", person_id=person.id))
    return render("people/person_form.html", block="form", form=form, person=person,
                  status=422 if form.errors else 200)


def _one_click(person_id: int, action, question) -> tuple[User, object]:
    """Shared flow of the one-button actions: load, check token, ask `question` first
    (app/confirm.py), act, commit."""
    person = load_person(person_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    confirm.ask(question)
    try:
        result = action(person)
    except Refusal as error:
        flash(error.message, "error")
        return person, None
    db.session.commit()
    return person, result if result is not None else True


@bp.route("/people/<int:person_id>/deactivate", methods=["POST"])
def deactivate_person(person_id: int):
    """Mark a person as left; they can no longer sign in."""
    if person_id == current_user.id:
        flash(_("You cannot deactivate yourself."), "error")
        return see_other(url_for("people.show_person", person_id=person_id))
    person, done = _one_click(person_id, services.deactivate_person, _l(
        "Mark this person as having left? They are signed out and can no longer sign in."))
    if done:
        flash(_("%(name)s has been marked as left and signed out.", name=person.name), "success")
    return see_other(url_for("people.show_person", person_id=person.id))


@bp.route("/people/<int:person_id>/confirm", methods=["POST"])
def confirm_person(person_id: int):
    """提前转正: end probation today."""
    person, done = _one_click(
        person_id, lambda p: services.confirm_employment(p, center_today()),
        _l("End this person's probation today? It cannot be undone."))
    if done:
        flash(_("%(name)s's employment is confirmed.", name=person.name), "success")
    return see_other(url_for("people.show_person", person_id=person.id))


@bp.route("/people/<int:person_id>/reset-password", methods=["POST"])
def reset_password(person_id: int):
    """Give a person a new one-time password, shown once."""
    person, password = _one_click(person_id, services.reset_password, _l(
        "Give this person a new one-time password? Their current password stops working."))
    return render("people/one_time_password.html", person=person, password=password,
                  created=False)


@bp.route("/people/<int:person_id>/grade", methods=["GET", "POST"])
def promote_person(person_id: int):
    """Promote an agent to another grade; the history is kept."""
    person = load_person(person_id)
    if not policy.can_change_grade(current_user, person):
        abort(404)
    form = GradeForm()
    if request.method == "GET":
        form.effective_on.data = center_today()
    if form.validate_on_submit():
        try:
            services.promote(person, form.to_grade.data, form.effective_on.data,
                             (form.note.data or "").strip())
        except Refusal as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("The grade has been changed."), "success")
            return see_other(url_for("people.show_person", person_id=person.id))
    return render("people/promote_person.html", block="form", form=form, person=person,
                  status=422 if form.errors else 200)


@bp.route("/teams")
def list_teams():
    """Teams with their lead and head count."""
    counts = dict(db.session.execute(
        select(User.team_id, func.count(User.id))
        .where(User.status != Status.LEFT).group_by(User.team_id)
    ).all())
    teams = db.session.scalars(
        select(Team).options(joinedload(Team.lead)).order_by(Team.name)
    ).all()
    return render("people/list_teams.html", teams=teams, counts=counts,
                  manage=policy.can_manage_people(current_user))


def _team_form(team: Team | None = None) -> TeamForm:
    form = TeamForm(obj=team) if request.method == "GET" else TeamForm()
    leads = db.session.scalars(
        select(User).where(User.role == Role.LEAD, User.status != Status.LEFT)
        .order_by(User.employee_no)
    )
    form.lead_id.choices = choices([(None, _("— no lead yet —")),
                                    *((u.id, f"{u.name} ({u.employee_no})") for u in leads)])
    return form


@bp.route("/teams/new", methods=["GET", "POST"], defaults={"team_id": None})
@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"], endpoint="edit_team")
def new_team(team_id: int | None):
    """Create a team, or rename one and name its lead."""
    team = db.get_or_404(Team, team_id) if team_id else None
    form = _team_form(team)
    if request.method == "GET" and team is not None:
        form.version.data = team.version
    if form.validate_on_submit():
        if team is not None and form.stale(team):
            abort(409)
        try:
            services.save_team(team, form.name.data.strip(), form.lead_id.data)
        except Refusal as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Team saved."), "success")
            return see_other(url_for("people.list_teams"))
    return render("people/team_form.html", block="form", form=form, team=team,
                  status=422 if form.errors else 200)


@bp.route("/people/import", methods=["GET", "POST"])
def import_people():
    """Upload a people file; every row is checked and shown before anything is saved."""
    return imports.upload_file(importer.SPEC, ImportForm(), "people/import_people.html",
                               "people.preview_import", columns=importer.TEMPLATE_HEADER)


def load_batch(batch_id: int) -> ImportBatch:
    """An import batch of the signed-in supervisor, or 404."""
    return imports.load_batch(importer.SPEC, batch_id)


def _preview(batch: ImportBatch, status: int = 200) -> Response:
    checks = importer.check_rows(imports.rows_of(batch))
    return render("people/preview_import.html", batch=batch, checks=checks,
                  bad=len(imports.bad_rows(checks)), status=status)


@bp.route("/people/import/<int:batch_id>")
def preview_import(batch_id: int):
    """Every row with its problems; the import button only when there are none."""
    return _preview(load_batch(batch_id))


@bp.route("/people/import/<int:batch_id>", methods=["POST"])
def apply_import(batch_id: int):
    """Save every row in one transaction, or none."""
    batch, created = imports.confirm(importer.SPEC, batch_id, importer.apply)
    if isinstance(created, Refusal):
        return _preview(batch, status=422)
    return render("people/import_done.html", batch=batch, created=created)


@bp.route("/people/import/template.csv")
def import_template():
    """A CSV with the expected columns and one example row."""
    return imports.template_csv("people-template.csv",
                                [importer.TEMPLATE_HEADER, importer.TEMPLATE_EXAMPLE])
