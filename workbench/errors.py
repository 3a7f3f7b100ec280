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
