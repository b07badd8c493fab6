"""What the leave and swap state machines share: call a service as the model predicts, and
say where the stored state and the model part ways."""

from app.extensions import db
from app.workflow import NotYourTurnError, Refusal, StaleError


def abandon() -> None:
    """End a refused step as a request would, by rolling back (only when something is
    pending: a rollback expires everything and makes the next reads slow)."""
    if db.session.new or db.session.dirty or db.session.deleted:
        db.session.rollback()


def names(due: dict) -> str:
    return " or ".join(error.__name__ for error in due) or "acceptance"


def plain(value):
    """Statuses as their plain values, for readable messages."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def differences(stored: dict, modelled: dict) -> str:
    return "; ".join(f"{key} stored {plain(stored[key])}, model {plain(modelled[key])}"
                     for key in modelled if stored[key] != modelled[key])


def call_as_modelled(call, due: dict, what: str) -> bool:
    """Call the service. `due` maps each refusal the model says is due to the form fields a
    Refusal may blame (None for the other errors): empty means the call must be accepted.
    When several refusals are due, any one of them is right. True when accepted."""
    refused = None
    try:
        call()
    except (StaleError, NotYourTurnError, Refusal) as error:
        refused = error
        abandon()
    if refused is None:
        assert not due, f"{what}: accepted, the model expects {names(due)}"
        db.session.commit()
        return True
    got = type(refused).__name__
    assert due, f"{what}: refused with {got}, the model expects acceptance"
    assert type(refused) in due, f"{what}: refused with {got}, the model expects {names(due)}"
    if isinstance(refused, Refusal):
        assert refused.field in due[Refusal], (what, refused.field, due[Refusal])
    return False
