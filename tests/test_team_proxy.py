"""The team server behind the shipped reverse proxies, end to end: `workbench serve` (local accounts,
``behind_proxy = true``) behind Debian's Caddy and nginx, each run with a config made from the file in ``deploy/``
(only the hostname, ports and certificate paths replaced), and Debian's Chromium over HTTPS.

The browser opens ``https://qual.workbench.test:PORT`` (Chromium maps the name to 127.0.0.1): a real hostname, so
Streamlit's websocket is accepted only if the proxy passes the browser's Host on (Streamlit would also accept any
``localhost`` origin and hide a proxy that does not). Through the proxy a coder signs in, opens a project and
accepts a suggestion (all over the websocket); the responses carry the clickjacking and HTTPS headers; a page of
another origin cannot frame the app (while the app framed straight from its own port loads: the refusal is the
headers'); plain http is sent to https or refused; an X-Forwarded-For forged by the browser is not the address the
sign-in is logged with; the workbench's own port is bound to 127.0.0.1 only. Both proxies run as ordinary
processes on free ports in the test's folder (no admin port, http port, pid file or certificate store of a system
Caddy or nginx is touched). Skips when caddy, nginx, /usr/bin/chromium or Playwright is missing.
"""
from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from test_app_browser import CHROMIUM, CHROMIUM_ARGS, free_port, run_server, stop, wait_until
from test_team_browser import PASSWORD, _sign_in, make_garden
from workbench.model import Account, Role
from workbench.store import Store
from workbench.team.members import Team, add_member
from workbench.team.passwords import hash_password

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
HOST = "qual.workbench.test"
OTHER_HOST = "elsewhere.workbench.test"
FORGED = "203.0.113.9"
SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])

pytestmark = pytest.mark.timeout(120)


def _replace(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced, failing if the shipped file no longer has it (the test would run
    something other than what it ships)."""
    assert old in text, f"the shipped config no longer contains {old!r}"
    return text.replace(old, new)


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate and key for HOST (the browser ignores that no authority signed it)."""
    cert, key = folder / "proxy.crt", folder / "proxy.key"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if not shutil.which("openssl"):
            pytest.skip("neither the cryptography package nor openssl is installed to make a test certificate")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", f"/CN={HOST}",
                        "-addext", f"subjectAltName=DNS:{HOST}"], check=True, capture_output=True, timeout=30)
        return cert, key
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.now(timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(private.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
                   .sign(private, hashes.SHA256()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert, key


def _caddy(folder: Path, backend: int, https: int, http: int, cert: Path, key: Path) -> tuple[list[str], dict]:
    """``caddy run`` on deploy/Caddyfile, with its own admin port, data and config folders."""
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    text = _replace(text, "admin localhost:2019", f"admin localhost:{free_port()}")
    text = _replace(text, "http_port 80\n", f"http_port {http}\n")
    text = _replace(text, "https_port 443\n", f"https_port {https}\n")
    text = _replace(text, "\nqual.example.org {\n", f"\n{HOST} {{\n\ttls {cert} {key}\n")
    text = _replace(text, "127.0.0.1:8501", f"127.0.0.1:{backend}")
    config = folder / "Caddyfile"
    config.write_text(text, encoding="utf-8")
    env = {**os.environ, "HOME": str(folder), "XDG_CONFIG_HOME": str(folder / "config"),
           "XDG_DATA_HOME": str(folder / "data")}
    return [shutil.which("caddy", path=SBIN), "run", "--config", str(config), "--adapter", "caddyfile"], env


def _nginx(folder: Path, backend: int, https: int, http: int, cert: Path, key: Path) -> tuple[list[str], dict]:
    """``nginx`` in the foreground on deploy/nginx.conf, included into a main config whose files are all in
    ``folder``."""
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    text = _replace(text, "qual.example.org", HOST)
    text = _replace(text, "listen 80;", f"listen 127.0.0.1:{http};")
    text = _replace(text, "listen 443 ssl;", f"listen 127.0.0.1:{https} ssl;")
    text = _replace(text, f"/etc/ssl/certs/{HOST}.pem", str(cert))
    text = _replace(text, f"/etc/ssl/private/{HOST}.key", str(key))
    text = _replace(text, "127.0.0.1:8501", f"127.0.0.1:{backend}")
    site = folder / "workbench.conf"
    site.write_text(text, encoding="utf-8")
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                           "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""  # else nginx's workers run as nobody: no way into tmp
    main = folder / "nginx-main.conf"
    main.write_text(f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
                    f"error_log {folder / 'nginx-error.log'};\nevents {{ worker_connections 64; }}\n"
                    f"http {{\n    access_log {folder / 'nginx-access.log'};\n{temp}\n    include {site};\n}}\n",
                    encoding="utf-8")
    nginx = shutil.which("nginx", path=SBIN)
    return [nginx, "-p", str(folder), "-c", str(main), "-e", str(folder / "nginx-error.log")], dict(os.environ)


PROXIES = {"caddy": _caddy, "nginx": _nginx}


@contextlib.contextmanager
def _running(command: list[str], env: dict, folder: Path, port: int, log_path: Path) -> Iterator[None]:
    """Run ``command`` until the block ends (terminated, then killed); enter once ``port`` takes connections."""
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)

    def listening() -> bool:
        """the proxy to listen"""
        if process.poll() is not None:
            raise AssertionError(f"{command[0]} exited: " + log_path.read_text())
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
        return False

    try:
        wait_until(listening, timeout=20)
        yield
    finally:
        stop(process)


def _team(projects: Path) -> Team:
    """garden, with amira as its coder and one pending suggestion."""
    make_garden(projects)
    team = Team.at(projects)
    team.server.add_account(Account("amira", "", hash_password(PASSWORD), "2026-12-07T09:00:00.000+00:00"), "admin")
    add_member(team, "garden", "amira", Role.CODER)
    return team


@contextlib.contextmanager
def _site(body: str) -> Iterator[str]:
    """Serve ``body`` as the page of another origin (OTHER_HOST, a local address, as the app's) until the block
    ends; yields its URL."""
    page = f"<!doctype html><h1>Win a prize</h1>{body}".encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{OTHER_HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _plain_http(port: int) -> tuple[str, str]:
    """The status line and the rest of what a plain-http request to ``port`` gets back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status, _, rest = answer.decode("latin-1").partition("\r\n")
    return status, rest


def _listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as in /proc/net/tcp*) of the sockets listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.mark.parametrize("proxy", sorted(PROXIES))
def test_the_shipped_proxy_config_serves_the_team_server_over_https_and_refuses_framing(proxy: str,
                                                                                       tmp_path: Path) -> None:
    if not shutil.which(proxy, path=SBIN):
        pytest.skip(f"{proxy} is not installed (scripts/install-system-deps.sh installs it)")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    pytest.importorskip("playwright.sync_api")
    from playwright.sync_api import sync_playwright

    team = _team(tmp_path / "projects")
    backend, https, http = free_port(), free_port(), free_port()
    public_url = f"https://{HOST}:{https}"
    config = tmp_path / "team.toml"
    config.write_text(f'projects = "projects"\nport = {backend}\nbehind_proxy = true\n'
                      f'public_url = "{public_url}"\n')
    env = {k: v for k, v in os.environ.items() if k not in ("WORKBENCH_PROJECT", "WORKBENCH_USER")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    folder = tmp_path / proxy
    folder.mkdir()
    command, proxy_env = PROXIES[proxy](folder, backend, https, http, *_certificate(folder))
    serve = contextlib.contextmanager(run_server)
    with serve([sys.executable, "-m", "workbench", "serve", "--config", str(config)], backend, cwd=tmp_path,
               env=env, log_path=tmp_path / "server.log"), \
            _running(command, proxy_env, folder, https, folder / "proxy.log"), sync_playwright() as pw:
        assert _listening_addresses(backend) == {"0100007F"}, "the workbench itself must listen on 127.0.0.1 only"

        status, rest = _plain_http(https)  # plain http to the https port: refused or sent to https
        assert status.split()[1] in ("301", "302", "307", "308", "400"), status
        assert "streamlit" not in rest.lower()
        if status.split()[1] != "400":
            assert f"\r\nlocation: https://{HOST}:{https}/" in rest.lower()
        status, rest = _plain_http(http)  # the http port sends browsers to https
        assert status.split()[1] in ("301", "308") and f"\r\nlocation: https://{HOST}" in rest.lower(), status

        resolve = f"--host-resolver-rules=MAP {HOST} 127.0.0.1, MAP {OTHER_HOST} 127.0.0.1"
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, resolve])
        try:
            # (the forged X-Forwarded-For must not become the address the sign-in is throttled and logged by)
            context = browser.new_context(ignore_https_errors=True, viewport={"width": 1440, "height": 1000},
                                          extra_http_headers={"X-Forwarded-For": FORGED})
            page = context.new_page()
            sockets: list[str] = []
            page.on("websocket", lambda ws: sockets.append(ws.url))
            response = page.goto(public_url)
            headers = response.all_headers()
            assert "frame-ancestors 'none'" in headers.get("content-security-policy", "")
            assert headers.get("x-frame-options") == "DENY"
            assert headers.get("strict-transport-security", "").startswith("max-age=31536000")

            _sign_in(page, public_url, "amira", PASSWORD)
            page.get_by_role("button", name="garden (coder)").click()
            page.get_by_text("Open: Garden").wait_for(timeout=30_000)
            page.get_by_role("link", name="Suggestions", exact=True).first.click()
            [pending] = Store.open(team.project_path("garden")).suggestions()
            page.locator(".st-key-suggestions-accept-%d button" % pending.id).click()

            def coded():
                """amira's accept to be stored"""
                return Store.open(team.project_path("garden")).codings(coders=["amira"])

            [coding] = wait_until(coded, timeout=30)
            assert coding.accepted_by == "amira" and coding.origin == "suggestion"
            assert f"wss://{HOST}:{https}/_stcore/stream" in sockets

            # Another site framing the app: Chromium refuses the proxied app, while the same app framed straight
            # from the workbench's port (no proxy, so no such headers) loads: the refusal is the headers' doing.
            framing = context.new_page()
            with _site(f'<iframe name="proxied" src="{public_url}/"></iframe>'
                       f'<iframe name="direct" src="http://127.0.0.1:{backend}/"></iframe>') as other:
                framing.goto(other)
                direct = framing.frame("direct")
                direct.wait_for_selector("#root", state="attached", timeout=15_000)
                proxied = framing.frame("proxied")
                for _ in range(75):  # (waiting through Playwright, which updates the frame meanwhile)
                    if proxied.url.startswith("chrome-error:"):
                        break
                    framing.wait_for_timeout(200)
                assert "ERR_BLOCKED_BY_RESPONSE" in proxied.content()
        finally:
            browser.close()
    [signin] = team.server.audit_entries(action="signin.ok")
    assert signin.actor == "amira" and signin.address == "127.0.0.1"  # the last hop: the proxy's own peer
