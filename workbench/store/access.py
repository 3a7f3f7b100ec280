"""Roles in the store: which role each logged action needs, checked as the action's event is written.

Every change to a project writes its event inside the change's transaction (`Database.log`), so checking
there covers every write path, and a refusal rolls the whole change back: nothing is half-done. Actions
not listed here need a lead (a new kind of change is refused to coders until someone decides otherwise).
"""
from __future__ import annotations

from workbench.errors import Forbidden
from workbench.model import Access, Role

# Longest matching prefix wins; "" is the default.
ACTION_ROLES: dict[str, Role] = {
    "": Role.LEAD,  # code.*, codebook.import, source.*, case.add, attributes.set, roster.set, qdpx.import, ...
    "coding.": Role.CODER,
    "memo.": Role.CODER,
    "suggestion.": Role.CODER,
    "suggestions.run": Role.CODER,
    "suggestions.restore": Role.CODER,  # undoing a coder's coding that resolved pending suggestions
    "theme.": Role.CODER,
    "framework.cell.set": Role.CODER,
    "candidates.run": Role.CODER,
    "candidate.": Role.CODER,
    "candidates.swap": Role.CODER,  # undoing or redoing a coder's candidate merge or split
    "undo": Role.CODER,  # a coder's own events only (workbench.sources.history)
    "redo": Role.CODER,
}

WHAT = {Role.LEAD: "a lead", Role.CODER: "a coder or lead", Role.VIEWER: "a member"}


def role_for_action(action: str) -> Role:
    """The least role that may log ``action``."""
    prefix = max((p for p in ACTION_ROLES if action.startswith(p)), key=len)
    return ACTION_ROLES[prefix]


def require(access: Access | None, needed: Role, what: str) -> None:
    """Refuse ``what`` unless the account's role is at least ``needed`` (no access: single-user mode, allowed)."""
    if access is None or access.role >= needed:
        return
    project = f" of {access.project}" if access.project else ""
    raise Forbidden(f"{access.user} is a {access.role.label}{project}: only {WHAT[needed]} may {what}")


def check_event(access: Access | None, actor: str, action: str) -> None:
    """Refuse an event the signed-in account may not log: a role too low, or a name other than its own."""
    if access is None:
        return
    if actor != access.user:
        raise Forbidden(f"in team mode you act as the signed-in account {access.user!r}, not as {actor!r}")
    require(access, role_for_action(action), f"do {action!r}")
