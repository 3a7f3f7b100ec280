"""The team server: accounts with Argon2 passwords and throttled sign-in, roles per project, memberships,
the server config (`workbench serve --config team.toml`) and its append-only audit log.

The server's database is ``team.db`` in the projects directory; its SQL lives in `workbench.store.server`.
A project opened through `open_project` carries the account and its role (`workbench.model.Access`), and the
store checks every change against it; without a team (the single-user app and CLI) nothing is checked.
May import: `workbench.store`, `workbench.model`, `workbench.errors`, argon2-cffi. Never sources or above.
"""
