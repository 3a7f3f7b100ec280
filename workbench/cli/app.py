"""`workbench app`: open the Streamlit workbench in the browser, on this computer only by default."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click


# The router (workbench/ui/app.py, package data, so an installed wheel has it) is run by a main script in a folder
# with no pages/ beside it: Streamlit would otherwise run a page file named in the address on its own, without the
# router (a reload on /codebook: no project, no menu), and in team mode before the sign-in.
APP = Path(__file__).resolve().parents[1] / "ui" / "server" / "main.py"
TEAM_APP = APP  # `workbench serve`: the same main script
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def streamlit_command(host: str, port: int) -> list[str]:
    """The `streamlit run` command line: bound to ``host``, headless, no usage statistics, no tracebacks
    shown to users, no developer menu or Deploy button (the checkout's .streamlit/config.toml is not there when
    the workbench is installed)."""
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", host,
            "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.showErrorDetails", "none", "--client.toolbarMode", "viewer"]  # no Deploy button


@click.command("app")
@click.option("--project", "project_path", envvar="WORKBENCH_PROJECT", type=click.Path(dir_okay=False, path_type=Path),
              help="Open this project (or set WORKBENCH_PROJECT); otherwise choose one on the Start page.")
@click.option("--port", default=8501, show_default=True, help="The port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to serve on. Anything but this computer lets others on the network see the data.")
@click.option("--as", "user", envvar="WORKBENCH_USER", help="Your name as a coder (or set WORKBENCH_USER).")
def app(project_path: Path | None, port: int, host: str, user: str | None) -> None:
    """Start the workbench in the browser (http://127.0.0.1:8501 by default)."""
    from workbench.errors import WorkbenchError
    from workbench.store import Store
    env = dict(os.environ)
    if project_path is not None:
        try:
            Store.open(project_path).close()
        except WorkbenchError as exc:  # a missing or foreign file: say so before starting a server
            raise click.ClickException(str(exc)) from exc
        env["WORKBENCH_PROJECT"] = str(project_path.resolve())
    if user:
        env["WORKBENCH_USER"] = user
    if host not in LOCAL_HOSTS:
        click.secho(f"Warning: serving on {host}, not only on this computer. Anyone who can reach "
                    f"{host}:{port} can read and change this project's participant data.", fg="yellow", err=True)
    click.echo(f"Resilience Workbench on http://{'127.0.0.1' if host in LOCAL_HOSTS else host}:{port} "
               "(Ctrl+C stops it)")
    command = streamlit_command(host, port)
    os.execve(command[0], command, env)  # the server is this process: a signal that stops it stops the server
