"""What the shell declares: its routes' access and the audit trail's link."""

from app.access import PUBLIC, SIGNED_IN, SUPERVISOR
from app.areas import Area, NavLink
from app.i18n import lazy_gettext as _l
from app.main import bp

AREA = Area(
    name="main",
    blueprints=(bp,),
    access={
        "static": PUBLIC,
        "main.health": PUBLIC,
        "main.set_language": PUBLIC,
        "main.home": SIGNED_IN,
        "main.pending_count": SIGNED_IN,
        "main.list_audit": SUPERVISOR,
        "main.edit_settings": SUPERVISOR,
        "main.old_settings_address": SUPERVISOR,
    },
    before_password_change=frozenset({"static", "main.health", "main.set_language"}),
    nav=(
        NavLink("main.edit_settings", _l("Settings"), 200, more=True),
        NavLink("main.list_audit", _l("Audit trail"), 210, more=True),
    ),
    audit_actions={
        "demo.load": _l("Demo loaded"),
        "setting.change": _l("Setting changed"),
        # Before settings had their own name they were recorded as "rule.change".
        "rule.change": _l("Setting changed"),
    },
    audit_objects={
        "import_batch": (_l("Import"), None, None),
        "setting": (_l("Setting"), None, None),
    },
)
