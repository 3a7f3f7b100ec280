"""Roles per project: who is a member of which project of a projects directory, and opening a project as one."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import Forbidden, NotFound, ProjectError
from workbench.model import Access, Member, Role
from workbench.store import Store
from workbench.store.server import ServerStore
from workbench.team.accounts import ADMIN, EMAIL_RE, Clock, stamp, utcnow

PROJECT_SUFFIX = ".wbproj"
PROJECT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class Team:
    """A projects directory and its server database."""

    projects: Path
    server: ServerStore

    @classmethod
    def at(cls, projects: str | Path) -> "Team":
        """The team of the projects directory ``projects`` (its ``team.db`` is created on first use)."""
        projects = Path(projects).resolve()
        return cls(projects, ServerStore.in_directory(projects))

    def project_path(self, project: str) -> Path:
        """The file of project ``project`` (a plain name: no folders, so no way out of the directory)."""
        name = project.removesuffix(PROJECT_SUFFIX)
        if not PROJECT_RE.match(name) or ".." in name:
            raise ProjectError(f"{project!r} is not a project name: use letters, digits and . _ - "
                               f"(the file {self.projects}/NAME{PROJECT_SUFFIX})")
        return self.projects / f"{name}{PROJECT_SUFFIX}"

    def project_names(self) -> list[str]:
        """Every project in the directory, by name."""
        return sorted(p.stem for p in self.projects.glob(f"*{PROJECT_SUFFIX}") if PROJECT_RE.match(p.stem))


def _as_lead(team: Team, project: str, by: Access | None) -> str:
    """Who manages members: the admin on the server (``by`` None) or a lead of that very project."""
    if by is None:
        return ADMIN
    if by.project != project or team.server.role(project, by.user) != Role.LEAD:
        raise Forbidden(f"{by.user} is no lead of {project}: only its leads manage its members")
    return by.user


def add_member(team: Team, project: str, account: str, role: Role, *, by: Access | None = None,
               clock: Clock = utcnow) -> Role | None:
    """Give ``account`` (a local account, or an e-mail for institutional sign-in) ``role`` on ``project``;
    returns its role before (None: it is new). ``by``: the lead doing it in the app; None: the admin."""
    name = team.project_path(project).stem
    if not team.project_path(name).exists():
        raise NotFound(f"no project {name!r} in {team.projects}")
    if team.server.account(account) is None and not EMAIL_RE.match(account):
        raise NotFound(f"no account called {account!r} (add it with `workbench users add`, or give an e-mail "
                       "address for institutional sign-in)")
    actor = _as_lead(team, name, by)
    if by is not None and account.lower() == by.user.lower() and role != Role.LEAD:
        raise Forbidden("a lead cannot step down themselves: another lead or the admin can change your role")
    return team.server.set_member(name, account, role, actor, stamp(clock()))


def remove_member(team: Team, project: str, account: str, *, by: Access | None = None,
                  clock: Clock = utcnow) -> None:
    """Take ``account`` off ``project`` (its codings stay, under its name)."""
    name = team.project_path(project).stem
    actor = _as_lead(team, name, by)
    if by is not None and account.lower() == by.user.lower():
        raise Forbidden("a lead cannot remove themselves: another lead or the admin can")
    team.server.remove_member(name, account, actor, stamp(clock()))


def members(team: Team, project: str | None = None) -> list[Member]:
    """The members of one project, or of every project."""
    return team.server.members(team.project_path(project).stem if project else None)


def my_projects(team: Team, account: str) -> list[Member]:
    """The projects ``account`` is a member of and exist in the directory, with its role on each."""
    present = set(team.project_names())
    return [m for m in team.server.members(account=account) if m.project in present]


def open_project(team: Team, account: str, project: str, *, address: str = "", clock: Clock = utcnow) -> Store:
    """``project`` opened as ``account``: every change is checked against its role; `Forbidden` (logged) for a
    non-member, and the same message whether or not such a project exists."""
    path = team.project_path(project)
    role = team.server.role(path.stem, account)
    if role is None or not path.exists():
        team.server.audit(stamp(clock()), account, "project.refused", path.stem, address=address)
        raise Forbidden(f"{account} is no member of a project called {path.stem!r}: ask one of its leads")
    return Store.open(path, access=Access(user=account, role=role, project=path.stem))
