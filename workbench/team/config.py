"""The team server's config file (``team.toml``): read, check every key, and refuse an unsafe set-up.

Every error names the file and the key, e.g. ``team.toml: host: ...``. Paths are relative to the file.
"""
from __future__ import annotations

import ipaddress
import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from workbench.errors import InvalidConfig

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAX_UPLOAD_MB = 1000

EXAMPLE = """\
# workbench serve --config team.toml
projects = "projects"            # the projects directory (relative to this file); team.db lives there
host = "127.0.0.1"               # only this computer; a proxy (Caddy, nginx) serves HTTPS to the team
port = 8501
behind_proxy = false             # true: a reverse proxy on this machine terminates HTTPS (the repository's
                                 # deploy/Caddyfile and deploy/nginx.conf)
public_url = "http://localhost:8501"   # the address users type (OIDC redirects back to it)
upload_limit_mb = 50
session_idle_minutes = 30

# [tls]                          # HTTPS served by the workbench itself (instead of a proxy)
# cert = "/etc/ssl/workbench.crt"
# key = "/etc/ssl/workbench.key"

# [oidc]                         # institutional sign-in (Entra, Google Workspace, Keycloak, ...)
# issuer = "https://login.example.org/realms/research"
# client_id = "resilience-workbench"
# client_secret_file = "oidc-secret.txt"   # readable by the server's user only (chmod 600)
# allowed_domains = ["uni.example"]
# allowed_emails = ["guest.researcher@gmail.com"]
"""


@dataclass(frozen=True)
class OidcConfig:
    """Institutional sign-in through an OpenID Connect provider."""

    issuer: str
    client_id: str
    client_secret_file: Path
    allowed_domains: frozenset[str] = frozenset()
    allowed_emails: frozenset[str] = frozenset()

    @property
    def metadata_url(self) -> str:
        """The provider's discovery document."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


@dataclass(frozen=True)
class TeamConfig:
    """A checked ``team.toml``."""

    path: Path
    projects: Path
    host: str = "127.0.0.1"
    port: int = 8501
    behind_proxy: bool = False
    public_url: str = ""
    upload_limit_mb: int = 50
    session_idle_minutes: float = 30
    tls_cert: Path | None = None
    tls_key: Path | None = None
    oidc: OidcConfig | None = field(default=None)

    @property
    def private_dir(self) -> Path:
        """Where the server keeps what only its own process may read (the generated Streamlit secrets)."""
        return self.projects / ".server"

    @property
    def url(self) -> str:
        """The address users open."""
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls_cert else "http"
        host = "localhost" if self.host in LOCAL_HOSTS else self.host
        return f"{scheme}://{host}:{self.port}"


KINDS = {str: "a string", int: "a whole number", float: "a number", bool: "true or false", list: "a list",
         dict: "a [table]"}


class _Reader:
    """Takes keys out of one table, so that leftovers (typos) can be reported."""

    def __init__(self, path: Path, table: dict[str, Any], prefix: str = "") -> None:
        self.path, self.table, self.prefix = path, dict(table), prefix

    def error(self, key: str, problem: str) -> InvalidConfig:
        return InvalidConfig(f"{self.path}: {self.prefix}{key}: {problem}")

    def take(self, key: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False) -> Any:
        if key not in self.table:
            if required:
                raise self.error(key, "missing (see `workbench serve --help` for an example)")
            return default
        value = self.table.pop(key)
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kind) or (int in kinds and isinstance(value, bool)):
            names = " or ".join(KINDS[k] for k in kinds)
            raise self.error(key, f"must be {names}, not {value!r}")
        return value

    def number(self, key: str, default: int, low: float, high: float, kind: type | tuple[type, ...] = int) -> Any:
        value = self.take(key, kind, default)
        if not low <= value <= high:
            raise self.error(key, f"must be between {low} and {high}, not {value}")
        return value

    def file(self, key: str, *, required: bool = False) -> Path | None:
        value = self.take(key, str, required=required)
        if value is None:
            return None
        path = (self.path.parent / value).resolve()
        if not path.is_file():
            raise self.error(key, f"no file at {path}")
        return path

    def strings(self, key: str) -> frozenset[str]:
        value = self.take(key, list, [])
        if not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(key, "must be a list of non-empty strings")
        return frozenset(v.strip().lower() for v in value)

    def done(self) -> None:
        if self.table:
            raise self.error(sorted(self.table)[0], "is not a setting this version knows (a typo?)")


def load_config(path: str | Path) -> TeamConfig:
    """Read and check a team server config; `InvalidConfig` names the file and the key of any problem."""
    path = Path(path).resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidConfig(f"{path}: cannot read the config file ({exc.strerror or exc})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidConfig(f"{path}: not valid TOML ({exc})") from exc
    top = _Reader(path, data)
    projects = (path.parent / top.take("projects", str, required=True)).resolve()
    if not projects.is_dir():
        raise top.error("projects", f"no directory at {projects}")
    host = top.take("host", str, "127.0.0.1").strip()
    port = top.number("port", 8501, 1, 65535)
    behind_proxy = top.take("behind_proxy", bool, False)
    public_url = _url(top, "public_url", top.take("public_url", str, ""))
    upload = top.number("upload_limit_mb", 50, 1, MAX_UPLOAD_MB)
    idle = top.number("session_idle_minutes", 30, 0.1, 24 * 60, (int, float))  # 0.5: half a minute
    tls = _Reader(path, top.take("tls", dict, {}), "tls.")
    cert, key = tls.file("cert"), tls.file("key")
    tls.done()
    if (cert is None) != (key is None):
        raise tls.error("key" if key is None else "cert", "TLS needs both cert and key")
    oidc = _oidc(path, top.take("oidc", dict, None))
    top.done()
    if not _is_local(host) and cert is None and not behind_proxy:
        raise top.error("host", f"{host} is reachable from other computers, so passwords and transcripts would "
                                "cross the network unencrypted: configure [tls] cert and key, or put a reverse "
                                "proxy with HTTPS in front and set behind_proxy = true")
    if oidc is not None and not public_url and not _is_local(host):
        raise top.error("public_url", "missing: institutional sign-in must know the address users open "
                                      "(e.g. https://qual.example.org)")
    return TeamConfig(path=path, projects=projects, host=host, port=port, behind_proxy=behind_proxy,
                      public_url=public_url, upload_limit_mb=upload, session_idle_minutes=idle,
                      tls_cert=cert, tls_key=key, oidc=oidc)


def _is_local(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url(reader: _Reader, key: str, value: str) -> str:
    if not value:
        return ""
    parsed = urlparse(value)
    local = parsed.hostname is not None and _is_local(parsed.hostname)
    if parsed.scheme not in ("https", "http") or not parsed.hostname or (parsed.scheme == "http" and not local):
        raise reader.error(key, f"{value!r} must be an https:// address (http:// only for this computer)")
    return value.rstrip("/")


def _oidc(path: Path, table: dict | None) -> OidcConfig | None:
    if table is None:
        return None
    reader = _Reader(path, table, "oidc.")
    issuer = _url(reader, "issuer", reader.take("issuer", str, required=True))
    client_id = reader.take("client_id", str, required=True).strip()
    if not client_id:
        raise reader.error("client_id", "must not be empty")
    secret = reader.file("client_secret_file", required=True)
    if os.name == "posix" and secret.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise reader.error("client_secret_file", f"{secret} can be read by other users of this computer: "
                                                 f"chmod 600 {secret}")
    if not secret.read_text(encoding="utf-8").strip():
        raise reader.error("client_secret_file", f"{secret} is empty")
    domains, emails = reader.strings("allowed_domains"), reader.strings("allowed_emails")
    reader.done()
    if not domains and not emails:
        raise reader.error("allowed_domains", "say which e-mail domains (or allowed_emails) may sign in")
    return OidcConfig(issuer=issuer, client_id=client_id, client_secret_file=secret,
                      allowed_domains=frozenset(d.lstrip("@") for d in domains), allowed_emails=emails)
