"""A notification: what happened, as a kind and its parameters, for one person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utc_default
from app.extensions import db


class Notification(db.Model):
    """One notification to one person. Its words are not stored: the area that declares the
    kind builds them from `params` when it is read, in the reader's language, and the link is
    built from its endpoint and arguments at the same moment."""

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    params: Mapped[str] = mapped_column(Text, default="{}")  # a JSON object
    link_endpoint: Mapped[str] = mapped_column(String(100), default="")
    link_args: Mapped[str] = mapped_column(Text, default="{}")  # a JSON object
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The unread count and the list both start from one person's notifications.
    __table_args__ = (Index("ix_notification_recipient_read", "recipient_id", "read_at"),)
