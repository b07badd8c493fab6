"""callfloor: the intranet web app a call center runs its people and its quality on."""

import os
from pathlib import Path

from flask import Flask

from app.config import Config, secret_is_strong

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application: defaults, then environment, then the test override."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=os.environ.get("CALLFLOOR_INSTANCE", str(ROOT / "instance")),
    )
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'callfloor.sqlite'}"
        )
    _read_instance_secret(app)
    _check_secret(app)
    _audit_key(app)
    _trust_proxies(app)

    from app import cli, errors, i18n, web
    from app.db_types import include_object, render_item
    from app.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(
        app, db, render_as_batch=True, compare_type=True, render_item=render_item,
        include_object=include_object,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    i18n.init_app(app)

    from app.database import configure_engine

    configure_engine(app)
    web.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    from app import areas
    from app.auth.area import AREA as AUTH
    from app.inbox.area import AREA as INBOX
    from app.main.area import AREA as MAIN
    from app.people.area import AREA as PEOPLE
    from app.qa.area import AREA as QUALITY
    from app.staff.area import AREA as STAFF

    # The areas, base first. Adding an area is its package plus one line here.
    areas.register(app, MAIN)
    areas.register(app, PEOPLE)
    areas.register(app, AUTH)
    areas.register(app, INBOX)
    areas.register(app, STAFF)
    areas.register(app, QUALITY)
    return app


def _read_instance_secret(app: Flask) -> None:
    """Without SECRET_KEY in the environment, take the one `make run` keeps in the instance
    folder (instance/secret_key), so every flask command finds it as the running app does."""
    if app.config["SECRET_KEY"]:
        return
    path = Path(app.instance_path) / "secret_key"
    if path.is_file():
        app.config["SECRET_KEY"] = path.read_text(encoding="utf-8").strip()


def _audit_key(app: Flask) -> None:
    """The audit chain's key: AUDIT_KEY, else instance/audit_key, made (readable by the owner
    only) the first time. Tests without one get a fresh key of their own."""
    if app.config["AUDIT_KEY"]:
        return
    if app.config["TESTING"]:
        app.config["AUDIT_KEY"] = os.urandom(32).hex()
        return
    path = Path(app.instance_path) / "audit_key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as key_file:
            key_file.write(os.urandom(32).hex() + "\n")
    app.config["AUDIT_KEY"] = path.read_text(encoding="utf-8").strip()


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address and scheme from the
    headers they add (ProxyFix); with none, from the connection, so a client cannot pick its
    own address to dodge the sign-in throttle."""
    value = str(app.config["TRUSTED_PROXIES"]).strip() or "0"
    if not value.isdecimal() or int(value) > 10:
        raise RuntimeError(f"TRUSTED_PROXIES must be a whole number from 0 to 10, not {value!r}.")
    app.config["TRUSTED_PROXIES"] = proxies = int(value)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def _check_secret(app: Flask) -> None:
    """Refuse to start outside tests and demo without a strong SECRET_KEY."""
    if secret_is_strong(app.config["SECRET_KEY"]):
        return
    if app.config["TESTING"] or app.config["DEMO"]:
        if not app.config["SECRET_KEY"]:
            app.config["SECRET_KEY"] = os.urandom(32).hex()
        return
    raise RuntimeError(
        "SECRET_KEY is missing or weak: set a random value of at least 32 characters "
        "(python -c 'import secrets; print(secrets.token_hex(32))')."
    )
