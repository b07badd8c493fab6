"""flask commands: demo, create-supervisor, audit-verify, audit-reseal, backup, restore."""

import json
from pathlib import Path

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select

from app import audit
from app import backup as backups
from app.extensions import db
from app.people.models import User


def init_app(app: Flask) -> None:
    """Register the commands."""

    @app.cli.command("demo")
    @click.option("--force", is_flag=True, help="Wipe a database that already holds people.")
    @click.option("--if-empty", is_flag=True, help="Do nothing when people exist already.")
    def demo_command(force: bool, if_empty: bool) -> None:
        """Load the demo center (accounts share the password callfloor-demo)."""
        from app.demo import load_demo

        if db.session.scalar(select(func.count(User.id))):
            if if_empty:
                click.echo("The database already holds people; demo data not loaded.")
                return
            if not force:
                raise click.ClickException(
                    "The database already holds people; run with --force to replace them."
                )
            wipe_database()
        summary = load_demo()
        click.echo(f"Demo center loaded: {summary}.")

    @app.cli.command("create-supervisor")
    @click.argument("username")
    @click.option("--name", required=True)
    @click.option("--employee-no", required=True)
    def create_supervisor_command(username: str, name: str, employee_no: str) -> None:
        """Create a supervisor account and print its one-time password."""
        from app.people.services import PersonData, create_person
        from app.timeutil import center_today
        from app.workflow import Refusal

        data = PersonData(
            username=username.lower(), employee_no=employee_no, name=name, phone="",
            role="supervisor", team_id=None, grade=None, hire_date=center_today(),
            probation_until=None,
        )
        try:
            _user, password = create_person(data)
        except Refusal as error:
            raise click.ClickException(error.message) from error
        db.session.commit()
        click.echo(f"One-time password for {username}: {password}")

    @app.cli.command("audit-verify")
    def audit_verify_command() -> None:
        """Check the audit trail's keyed chain from the first row to the last, and that it
        still holds what the last verification saw (instance/audit_head.json)."""
        report = audit.verify_chain()
        if not report.ok:
            hint = ""
            if report.broken_at == 1 and audit.verify_chain(keyed=False).ok:
                hint = " The chain was made before it had a key: run flask audit-reseal once."
            raise click.ClickException(
                f"Audit chain broken at row {report.broken_at} ({report.reason}) "
                f"after {report.checked} good rows.{hint}"
            )
        head = _head_file(app)
        try:
            last = json.loads(head.read_text(encoding="utf-8")) if head.is_file() else None
            cut = audit.shortened(report, last)
        except (ValueError, KeyError, TypeError) as error:
            raise click.ClickException(
                f"{head} is not what audit-verify wrote; restore it from a backup.") from error
        if cut:
            raise click.ClickException(f"Audit chain cut short: {cut}.")
        _remember_head(head, report)
        click.echo(f"Audit chain intact: {report.checked} rows.")

    @app.cli.command("audit-reseal")
    def audit_reseal_command() -> None:
        """Move an audit chain made before the key to keyed HMACs (once): it checks the chain
        as it was made, then reseals every row; the reseal is audited."""
        try:
            rows = audit.reseal()
        except ValueError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from error
        db.session.commit()
        _remember_head(_head_file(app), audit.verify_chain())
        click.echo(f"Audit chain resealed with its key: {rows} rows, and the reseal audited.")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path) -> None:
        """Make an online backup of the database to PATH."""
        backups.backup(path)
        click.echo(f"Backup written to {path}.")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_command(path: Path, yes: bool) -> None:
        """Replace the database with the backup at PATH."""
        if not yes:
            click.confirm("This replaces every record in the database. Go on?", abort=True)
        db.session.remove()
        backups.restore(path)
        if not backups.integrity_ok():
            raise click.ClickException("The restored database failed its integrity check.")
        click.echo(f"Restored from {path}.")


def _head_file(app: Flask) -> Path:
    """Where audit-verify keeps what it last saw: AUDIT_HEAD_FILE, else in the instance folder,
    outside the database it vouches for."""
    return Path(app.config.get("AUDIT_HEAD_FILE") or Path(app.instance_path) / "audit_head.json")


def _remember_head(path: Path, report: audit.ChainReport) -> None:
    """Keep the chain's length and last hash outside the database, for the next check."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"count": report.checked, "head": report.head}), encoding="utf-8")
    path.chmod(0o600)


def wipe_database() -> None:
    """Drop every table (the audit trail included) and migrate afresh."""
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    else:
        names = inspect(db.engine).get_table_names()
        raw = db.engine.raw_connection()
        try:
            cursor = raw.driver_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=OFF")
            for name in names:
                cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            raw.close()
    db.engine.dispose()
    upgrade()
