"""The words of the notifications quality posts to the inbox (evaluations.py posts them),
built from the stored parameters when read, so in the reader's language."""

from flask_babel import gettext as _

KINDS = {
    "evaluation.published": lambda p: _(
        "An evaluation of your call %(serial)s was published: %(score)d points.",
        serial=p["serial"], score=p["score"]),
}
