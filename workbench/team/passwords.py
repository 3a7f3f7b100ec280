"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile)."""
from __future__ import annotations

from functools import lru_cache

from workbench.errors import WorkbenchError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # hashing a megabyte "password" is a denial of service, not a password


class WeakPassword(WorkbenchError):
    """A new password is too short, too long or the account's name."""


@lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def check_new_password(name: str, password: str) -> None:
    """Refuse a password too short, too long or equal to the account's name."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password for {name!r} is too short: use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password for {name!r} is too long: at most {MAX_LENGTH} characters")
    if password.strip().lower() == name.strip().lower():
        raise WeakPassword(f"the password for {name!r} must not be the account's name")


def hash_password(password: str) -> str:
    """The Argon2id hash (with its own salt and parameters) of ``password``."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (a None hash still costs a verification, then fails)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verifying against this for unknown names takes as long as for real ones: timing tells no names.
    return _hasher().hash("not a password of anyone")
