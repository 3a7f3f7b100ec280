"""Named errors of the workbench core; each message says what to fix."""
from __future__ import annotations


class WorkbenchError(Exception):
    """Base class: an error a user can act on (the CLI and UI show its message)."""


class ProjectError(WorkbenchError):
    """The project file is missing, not a project, or from a newer version."""


class NotFound(WorkbenchError):
    """A source, code, coding or case does not exist."""


class InvalidSpan(WorkbenchError):
    """A `[start, end)` range does not fit inside its source's text."""


class Conflict(WorkbenchError):
    """The change clashes with what is stored (duplicate name, coding already there)."""


class SearchSyntaxError(WorkbenchError):
    """A search query could not be parsed."""


class InvalidNameReview(WorkbenchError):
    """A possible name cannot be reviewed as asked (empty name, unknown decision, accepted without a pseudonym)."""


class Forbidden(WorkbenchError):
    """In team mode, the signed-in account's role on the project does not allow this (or it is no member)."""


class SignInFailed(WorkbenchError):
    """A team sign-in was refused: wrong name or password, or too many failed attempts."""


class InvalidConfig(WorkbenchError):
    """A team server's config file is missing, unreadable or has a wrong value (the message names file and key)."""


class InvalidMedia(WorkbenchError):
    """A recording cannot be attached or played: not audio or video we know, damaged, or missing (the message
    names the file)."""


class InvalidMemo(WorkbenchError):
    """A memo cannot be stored as asked (empty text, an unknown kind of target, no target named)."""
