"""Team accounts: Argon2 hashes, throttled sign-in with a clock the test moves, the append-only audit log."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from workbench.errors import Conflict, NotFound, SignInFailed
from workbench.store.server import ServerStore
from workbench.team import accounts
from workbench.team.accounts import (MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, WINDOW, InvalidAccountName,
                                     add_user, remove_user, set_password, sign_in, sign_in_institutional, sign_out)
from workbench.team.passwords import WeakPassword

PASSWORD = "correct horse battery"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def server(tmp_path: Path) -> ServerStore:
    return ServerStore.in_directory(tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_password_is_stored_as_an_argon2id_hash_never_as_itself(server: ServerStore, tmp_path: Path) -> None:
    add_user(server, "alice", PASSWORD, email="alice@uni.example")
    stored = server.account("alice").password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    server.close()
    assert PASSWORD.encode() not in (tmp_path / "team.db").read_bytes()


def test_the_right_password_signs_in_case_insensitively_and_is_logged(server: ServerStore, clock: Clock) -> None:
    add_user(server, "Alice", PASSWORD)
    account = sign_in(server, "alice", PASSWORD, address="10.0.0.5", clock=clock)
    assert account.name == "Alice"
    [entry] = server.audit_entries(action="signin")
    assert (entry.action, entry.actor, entry.address) == ("signin.ok", "Alice", "10.0.0.5")


@pytest.mark.parametrize(("name", "password"), [("alice", "wrong password!"), ("nobody", PASSWORD), ("", PASSWORD)])
def test_a_wrong_password_or_unknown_name_fails_with_one_message_and_is_logged(
        server: ServerStore, clock: Clock, name: str, password: str) -> None:
    add_user(server, "alice", PASSWORD)
    with pytest.raises(SignInFailed, match="wrong account name or password"):
        sign_in(server, name, password, address="10.0.0.5", clock=clock)
    assert [e.action for e in server.audit_entries(action="signin")] == ["signin.failed"]


def test_failures_per_account_are_throttled_until_the_window_has_passed(server: ServerStore, clock: Clock) -> None:
    add_user(server, "alice", PASSWORD)
    for attempt in range(MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(SignInFailed, match="wrong"):
            sign_in(server, "alice", f"guess number {attempt}", address=f"10.0.0.{attempt}", clock=clock)
        clock.advance(timedelta(seconds=10))
    with pytest.raises(SignInFailed, match="too many failed sign-ins for this account"):
        sign_in(server, "alice", PASSWORD, address="10.9.9.9", clock=clock)  # even the right password waits
    assert server.audit_entries()[-1].action == "signin.throttled"
    clock.advance(WINDOW)
    assert sign_in(server, "alice", PASSWORD, address="10.9.9.9", clock=clock).name == "alice"


def test_a_success_resets_the_account_count(server: ServerStore, clock: Clock) -> None:
    add_user(server, "alice", PASSWORD)
    for _ in range(MAX_FAILURES_PER_ACCOUNT - 1):
        with pytest.raises(SignInFailed):
            sign_in(server, "alice", "not the password", address="10.0.0.1", clock=clock)
        clock.advance(timedelta(seconds=1))
    sign_in(server, "alice", PASSWORD, address="10.0.0.1", clock=clock)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(SignInFailed, match="wrong"):  # not yet throttled: the count started again
        sign_in(server, "alice", "not the password", address="10.0.0.1", clock=clock)


def test_failures_per_address_are_throttled_across_accounts(server: ServerStore, clock: Clock) -> None:
    add_user(server, "bob", PASSWORD)
    for attempt in range(MAX_FAILURES_PER_ADDRESS):
        with pytest.raises(SignInFailed, match="wrong"):
            sign_in(server, f"guess{attempt}", "whatever password", address="203.0.113.7", clock=clock)
    with pytest.raises(SignInFailed, match="from your address"):
        sign_in(server, "bob", PASSWORD, address="203.0.113.7", clock=clock)
    assert sign_in(server, "bob", PASSWORD, address="198.51.100.1", clock=clock).name == "bob"


@pytest.mark.parametrize(("password", "message"), [
    ("short", "too short"), ("x" * 2000, "too long"), ("carol-carol", None)])
def test_a_weak_password_is_refused_and_no_account_is_made(server: ServerStore, password: str, message: str) -> None:
    name = "carol-carol" if message is None else "carol"
    with pytest.raises(WeakPassword, match=message or "must not be the account's name"):
        add_user(server, name, password)
    assert server.accounts() == []


@pytest.mark.parametrize("name", ["", "../etc", "a b", "-x", "x" * 101])
def test_a_bad_account_name_is_refused(server: ServerStore, name: str) -> None:
    with pytest.raises(InvalidAccountName, match="cannot be an account name"):
        add_user(server, name, PASSWORD)


def test_a_taken_name_is_a_conflict_and_the_first_account_stays(server: ServerStore) -> None:
    add_user(server, "alice", PASSWORD)
    with pytest.raises(Conflict, match="already exists"):
        add_user(server, "ALICE", "another password here")
    assert accounts.verify_password(server.account("alice").password_hash, PASSWORD)


def test_passwd_replaces_the_hash_and_remove_deletes_the_account(server: ServerStore, clock: Clock) -> None:
    add_user(server, "alice", PASSWORD)
    set_password(server, "alice", "a new long password", clock=clock)
    with pytest.raises(SignInFailed):
        sign_in(server, "alice", PASSWORD, address="a", clock=clock)
    assert sign_in(server, "alice", "a new long password", address="a", clock=clock)
    remove_user(server, "alice", clock=clock)
    assert server.account("alice") is None
    with pytest.raises(NotFound):
        remove_user(server, "alice", clock=clock)
    with pytest.raises(NotFound):
        set_password(server, "alice", "a new long password", clock=clock)
    assert [e.action for e in server.audit_entries(action="user")] == ["user.add", "user.passwd", "user.remove"]


def test_the_audit_log_is_append_only(server: ServerStore, clock: Clock) -> None:
    add_user(server, "alice", PASSWORD)
    sign_in(server, "alice", PASSWORD, address="a", clock=clock)
    sign_out(server, "alice", address="a", clock=clock)
    for statement in ("UPDATE audit SET actor = 'mallory'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            server.conn.execute(statement)
    assert [e.action for e in server.audit_entries()] == ["user.add", "signin.ok", "signout"]


def test_institutional_sign_in_lets_in_only_the_allowed_domains_and_addresses(server: ServerStore,
                                                                               clock: Clock) -> None:
    allowed = {"allowed_domains": frozenset({"uni.example"}), "allowed_addresses": frozenset({"guest@gmail.example"})}
    assert sign_in_institutional(server, "Dana@Uni.Example", address="a", clock=clock, **allowed) == "dana@uni.example"
    assert sign_in_institutional(server, "guest@gmail.example", address="a", clock=clock, **allowed)
    for email in ("eve@evil.example", "", "not-an-email"):
        with pytest.raises(SignInFailed, match="may not sign in to this server"):
            sign_in_institutional(server, email, address="a", clock=clock, **allowed)
    assert [e.action for e in server.audit_entries()] == ["signin.ok"] * 2 + ["signin.refused"] * 3


def test_a_foreign_sqlite_file_is_not_taken_for_a_team_database(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "team.db").execute("CREATE TABLE x (y)").connection.commit()
    with pytest.raises(Exception, match="not a workbench team database"):
        ServerStore.in_directory(tmp_path)
