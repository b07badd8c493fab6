"""What sign-in declares: its routes' access and the lock section on a person's page."""

from app.access import PUBLIC, SIGNED_IN, SUPERVISOR
from app.areas import Area, Panel
from app.auth import bp, routes
from app.i18n import lazy_gettext as _l

AREA = Area(
    name="auth",
    blueprints=(bp,),
    access={
        "auth.login": PUBLIC,
        "auth.logout": SIGNED_IN,
        "auth.change_password": SIGNED_IN,
        "auth.unlock_person": SUPERVISOR,
        "auth.locked_accounts": SUPERVISOR,
    },
    before_password_change=frozenset({"auth.login", "auth.logout", "auth.change_password"}),
    person_sections=(Panel("auth/_person_lock.html", routes.lock_section, 10),),
    home_cards=(Panel("auth/_card_locks.html", routes.locks_card, 8),),
    audit_actions={
        "account.unlock": _l("Account unlocked"),
        "auth.sign_in": _l("Signed in"),
        "auth.sign_in_failed": _l("Sign-in failed"),
        "auth.account_locked": _l("Account locked after failed sign-ins"),
        "auth.sign_out": _l("Signed out"),
        "auth.password_change": _l("Password changed"),
    },
    audit_objects={
        "login_throttle": (_l("Sign-in lock"), None, None),
    },
)
