"""`workbench serve --config team.toml`: the config is checked key by key (errors name the file and the key),
an unsafe set-up is refused, and the server command line carries the hardening."""
from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from workbench.cli.app import APP
from workbench.errors import InvalidConfig
from workbench.team.config import EXAMPLE, load_config
from workbench.team.serve import TEAM_CONFIG_ENV, server_environment, streamlit_command, write_secrets


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "projects").mkdir()
    secret = tmp_path / "oidc-secret.txt"
    secret.write_text("s3cr3t-from-the-provider\n")
    secret.chmod(0o600)
    return tmp_path


def _config(folder: Path, text: str) -> Path:
    path = folder / "team.toml"
    path.write_text(text, encoding="utf-8")
    return path


OIDC = """
[oidc]
issuer = "https://login.uni.example/realms/research"
client_id = "workbench"
client_secret_file = "oidc-secret.txt"
allowed_domains = ["Uni.Example", "@partner.example"]
"""


def test_the_smallest_config_serves_this_computer_only_with_safe_defaults(folder: Path) -> None:
    config = load_config(_config(folder, 'projects = "projects"\n'))
    assert (config.host, config.port, config.behind_proxy) == ("127.0.0.1", 8501, False)
    assert config.projects == (folder / "projects").resolve()
    assert (config.upload_limit_mb, config.session_idle_minutes, config.oidc) == (50, 30, None)
    assert config.url == "http://localhost:8501"


def test_the_idle_timeout_may_be_part_of_a_minute(folder: Path) -> None:
    config = load_config(_config(folder, 'projects = "projects"\nsession_idle_minutes = 0.5\n'))
    assert config.session_idle_minutes == 0.5


def test_the_readme_example_is_a_valid_config(folder: Path) -> None:
    assert load_config(_config(folder, EXAMPLE)).projects.name == "projects"


BAD = [  # (config text, what the message must say after "team.toml: ")
    ("", "projects: missing"),
    ('projects = "nowhere"', "projects: no directory at"),
    ('projects = "projects"\nport = "8501"', "port: must be a whole number, not '8501'"),
    ('projects = "projects"\nport = 70000', "port: must be between 1 and 65535"),
    ('projects = "projects"\nbehind_proxy = "yes"', "behind_proxy: must be true or false, not 'yes'"),
    ('projects = "projects"\nupload_limit_mb = 0', "upload_limit_mb: must be between 1 and 1000"),
    ('projects = "projects"\nsession_idle_minutes = 0', "session_idle_minutes: must be between"),
    ('projects = "projects"\nsession_idle_minutes = true', "session_idle_minutes: must be a whole number or a number"),
    ('projects = "projects"\nsession_idle_minutes = "30"', "session_idle_minutes: must be a whole number or a"),
    ('projects = "projects"\nhots = "0.0.0.0"', "hots: is not a setting this version knows (a typo?)"),
    ('projects = "projects"\nhost = "0.0.0.0"', "host: 0.0.0.0 is reachable from other computers"),
    ('projects = "projects"\nhost = "192.168.1.20"', "host: 192.168.1.20 is reachable from other computers"),
    ('projects = "projects"\n[tls]\ncert = "missing.crt"\nkey = "missing.key"', "tls.cert: no file at"),
    ('projects = "projects"\n[tls]\ncert = "oidc-secret.txt"', "tls.key: TLS needs both cert and key"),
    ('projects = "projects"\npublic_url = "http://qual.example.org"', "public_url: 'http://qual.example.org' must "
                                                                       "be an https:// address"),
    ('projects = "projects"\n[oidc]\nclient_id = "x"', "oidc.issuer: missing"),
    ('projects = "projects"\n' + OIDC.replace("oidc-secret.txt", "gone.txt"), "oidc.client_secret_file: no file at"),
    ('projects = "projects"\n' + OIDC.replace('allowed_domains = ["Uni.Example", "@partner.example"]', ""),
     "oidc.allowed_domains: say which e-mail domains"),
    ('projects = "projects"\n' + OIDC.replace('"workbench"', '""'), "oidc.client_id: must not be empty"),
    ('projects = "projects"\n' + OIDC.replace("https://login", "http://login"), "oidc.issuer: 'http://login"),
    ('projects = "projects"\nhost = "0.0.0.0"\nbehind_proxy = true\n' + OIDC, "public_url: missing"),
    ('projects = [', "not valid TOML"),
    ('projects = "projects"\ntls = "on"', "tls: must be a [table], not 'on'"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[b[1][:40] for b in BAD])
def test_a_bad_config_is_refused_naming_the_file_and_the_key(folder: Path, text: str, message: str) -> None:
    path = _config(folder, text)
    with pytest.raises(InvalidConfig) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: "), caught.value
    assert message in str(caught.value), caught.value


def test_a_missing_config_file_is_named(folder: Path) -> None:
    with pytest.raises(InvalidConfig, match="team.toml: cannot read the config file"):
        load_config(folder / "team.toml")


def test_a_secret_file_others_can_read_is_refused(folder: Path) -> None:
    (folder / "oidc-secret.txt").chmod(0o644)
    with pytest.raises(InvalidConfig, match="oidc.client_secret_file: .* can be read by other users.*chmod 600"):
        load_config(_config(folder, 'projects = "projects"\n' + OIDC))


@pytest.mark.parametrize("extra", ["behind_proxy = true", '[tls]\ncert = "c.pem"\nkey = "k.pem"'])
def test_a_network_address_is_allowed_with_a_proxy_or_tls(folder: Path, extra: str) -> None:
    (folder / "c.pem").write_text("cert")
    (folder / "k.pem").write_text("key")
    config = load_config(_config(folder, f'projects = "projects"\nhost = "0.0.0.0"\n{extra}\n'))
    assert config.host == "0.0.0.0"


def test_the_server_command_is_hardened(folder: Path) -> None:
    config = load_config(_config(folder, 'projects = "projects"\nupload_limit_mb = 25\nport = 8600\n'))
    command = streamlit_command(config, APP)
    options = dict(zip(command[5::2], command[6::2]))
    assert options["--server.address"] == "127.0.0.1" and options["--server.port"] == "8600"
    assert options["--server.enableXsrfProtection"] == "true"
    assert options["--server.enableCORS"] == "true"  # CORS protection: no cross-origin access
    assert options["--server.maxUploadSize"] == "25"
    assert options["--client.showErrorDetails"] == "none"
    assert "--server.sslCertFile" not in options
    env = server_environment(config, {"WORKBENCH_PROJECT": "/tmp/x.wbproj", "WORKBENCH_USER": "typed", "PATH": "/bin"})
    assert env == {"PATH": "/bin", TEAM_CONFIG_ENV: str(config.path)}


def test_oidc_secrets_are_generated_privately_for_streamlit(folder: Path) -> None:
    config = load_config(_config(folder, 'projects = "projects"\npublic_url = "https://qual.uni.example"\n' + OIDC))
    assert config.oidc.allowed_domains == {"uni.example", "partner.example"}
    run_dir = write_secrets(config)
    secrets_file = run_dir / ".streamlit" / "secrets.toml"
    auth = tomllib.loads(secrets_file.read_text())["auth"]
    assert auth["redirect_uri"] == "https://qual.uni.example/oauth2callback"
    assert auth["client_secret"] == "s3cr3t-from-the-provider"
    assert auth["server_metadata_url"] == "https://login.uni.example/realms/research/.well-known/openid-configuration"
    assert len(auth["cookie_secret"]) == 64
    assert stat.S_IMODE(os.stat(secrets_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(config.private_dir).st_mode) == 0o700
    assert write_secrets(config) == run_dir  # the cookie secret is kept: sessions survive a restart
    assert tomllib.loads(secrets_file.read_text())["auth"]["cookie_secret"] == auth["cookie_secret"]
