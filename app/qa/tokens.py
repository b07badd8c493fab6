"""API tokens for the telephony system: shown once, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select

from app import audit
from app.extensions import db
from app.people.models import User
from app.qa.models import ApiToken

PREFIX = "cf_"


def digest(token: str) -> str:
    """What is stored of a token: its SHA-256 (the token itself has 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create(name: str, actor: User, now: datetime) -> tuple[ApiToken, str]:
    """A new token; the plain text is returned once and never stored."""
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name.strip(), prefix=plain[:10], token_hash=digest(plain),
                     created_by_id=actor.id, created_at=now)
    db.session.add(token)
    audit.record("api_token.create", token, actor=actor,
                 after={"name": token.name, "prefix": token.prefix})
    return token, plain


def revoke(token: ApiToken, actor: User, now: datetime) -> None:
    """Stop accepting the token; a revoked token stays listed."""
    if token.revoked_at is not None:
        return
    token.revoked_at = now
    audit.record("api_token.revoke", token, actor=actor, before={"revoked": False},
                 after={"revoked": True, "prefix": token.prefix})


def from_header(value: str | None) -> ApiToken | None:
    """The unrevoked token an `Authorization: Bearer ...` header carries, or None."""
    scheme, _, plain = (value or "").partition(" ")
    plain = plain.strip()
    if scheme.lower() != "bearer" or not plain.startswith(PREFIX) or len(plain) > 100:
        return None
    wanted = digest(plain)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == wanted))
    if token is None or token.revoked_at is not None:
        return None
    return token if hmac.compare_digest(token.token_hash, wanted) else None
