"""Who may read which notification: its recipient, and nobody else (a supervisor neither)."""

from app.inbox.models import Notification


def can_read(user, notification: Notification | None) -> bool:
    """A notification is its recipient's alone."""
    return (notification is not None and user.is_authenticated
            and notification.recipient_id == user.id)
