"""Local accounts and signing in: Argon2 passwords, throttled failures, every attempt in the audit log."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from workbench.errors import NotFound, SignInFailed, WorkbenchError
from workbench.model import Account
from workbench.store.server import ServerStore
from workbench.team.passwords import check_new_password, hash_password, verify_password

Clock = Callable[[], datetime]
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ADMIN = "admin"  # the actor of commands run on the server itself (whoever can write team.db is its admin)

# Throttling: within WINDOW, at most this many failed sign-ins per account (since its last success) and per
# address; beyond that, attempts are refused without checking the password until the window has passed.
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


class InvalidAccountName(WorkbenchError):
    """An account name with characters other than letters, digits and . _ @ + -."""


def utcnow() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(timezone.utc)


def stamp(moment: datetime) -> str:
    """A time as the audit log stores it (ISO 8601 UTC, milliseconds; sorts as text)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def check_name(name: str) -> str:
    """``name`` if it can be an account name; otherwise `InvalidAccountName` saying what is allowed."""
    if not NAME_RE.match(name):
        raise InvalidAccountName(f"{name!r} cannot be an account name: use 1-100 letters, digits and . _ @ + - "
                                 "(starting with a letter or digit)")
    return name


def add_user(server: ServerStore, name: str, password: str, *, email: str = "", actor: str = ADMIN,
             clock: Clock = utcnow) -> Account:
    """Create a local account with an Argon2 hash of ``password`` (checked for length first)."""
    check_name(name)
    if email and not EMAIL_RE.match(email):
        raise InvalidAccountName(f"{email!r} is not an e-mail address")
    check_new_password(name, password)
    account = Account(name=name, email=email, password_hash=hash_password(password), created_at=stamp(clock()))
    server.add_account(account, actor)
    return account


def remove_user(server: ServerStore, name: str, *, actor: str = ADMIN, clock: Clock = utcnow) -> None:
    """Delete an account and its memberships (its codings stay in the projects, under its name)."""
    server.remove_account(name, actor, stamp(clock()))


def set_password(server: ServerStore, name: str, password: str, *, actor: str = ADMIN, clock: Clock = utcnow) -> None:
    """Give a local account a new password."""
    if server.account(name) is None:
        raise NotFound(f"no account called {name!r}")
    check_new_password(name, password)
    server.set_password_hash(name, hash_password(password), actor, stamp(clock()))


def sign_in(server: ServerStore, name: str, password: str, *, address: str, clock: Clock = utcnow) -> Account:
    """The account whose name and password these are; otherwise `SignInFailed` (logged, and throttled).

    The message never says whether the name exists. While an account or an address has had too many
    failures within `WINDOW`, attempts are refused before the password is checked.
    """
    moment = clock()
    at, key = stamp(moment), name.strip()
    by_account, by_address = server.failures(account=key, address=address, since=stamp(moment - WINDOW))
    if by_account >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS:
        server.audit(at, key or "?", "signin.throttled", key, address=address)
        minutes = int(WINDOW.total_seconds() // 60)
        whose = "for this account" if by_account >= MAX_FAILURES_PER_ACCOUNT else "from your address"
        raise SignInFailed(f"too many failed sign-ins {whose}: wait {minutes} minutes and try again")
    account = server.account(key) if key else None
    if not verify_password(account.password_hash if account else None, password):
        server.audit(at, key or "?", "signin.failed", key, address=address)
        raise SignInFailed("wrong account name or password")
    server.audit(at, account.name, "signin.ok", account.name, address=address, detail={"method": "password"})
    return account


def sign_out(server: ServerStore, name: str, *, address: str = "", reason: str = "signed out",
             clock: Clock = utcnow) -> None:
    """Log that ``name`` signed out (or was signed out: idle timeout)."""
    server.audit(stamp(clock()), name, "signout", name, address=address, detail={"reason": reason})


def sign_in_institutional(server: ServerStore, email: str, *, allowed_domains: frozenset[str],
                          allowed_addresses: frozenset[str], address: str, clock: Clock = utcnow) -> str:
    """The account name (the lower-cased e-mail) of someone the identity provider signed in, if the config lets
    their e-mail in; otherwise `SignInFailed` (logged). Their projects are those its e-mail is a member of."""
    at, email = stamp(clock()), (email or "").strip().lower()
    domain = email.rpartition("@")[2]
    if not EMAIL_RE.match(email) or (domain not in allowed_domains and email not in allowed_addresses):
        server.audit(at, email or "?", "signin.refused", email, address=address, detail={"method": "oidc"})
        raise SignInFailed(f"{email or 'an account without an e-mail address'} may not sign in to this server: "
                           "ask its administrator to allow your e-mail domain or address")
    server.audit(at, email, "signin.ok", email, address=address, detail={"method": "oidc"})
    return email
