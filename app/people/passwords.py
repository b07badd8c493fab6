"""Password hashes and one-time passwords: part of a person's record, so in the base."""

import secrets
import string

from argon2 import PasswordHasher
from flask import current_app

ONE_TIME_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def hasher() -> PasswordHasher:
    """argon2id with the configured cost (m=19 MiB, t=2, p=1 in production)."""
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_KIB"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    """A fresh argon2id hash."""
    return hasher().hash(password)


def one_time_password() -> str:
    """A random one-time password the person must change on first sign-in."""
    return "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(12))
