"""Rendering the thematic map to SVG or PNG with Graphviz's ``dot`` program (or writing its DOT source)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from workbench.errors import WorkbenchError

FORMATS = ("svg", "png", "dot")
DOT_TIMEOUT_S = 60


class MapError(WorkbenchError):
    """The thematic map cannot be rendered (unknown format, Graphviz missing or failing)."""


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` program is on the PATH."""
    return shutil.which("dot") is not None


def render_dot(dot_source: str, fmt: str) -> bytes:
    """The DOT source rendered by ``dot`` as SVG or PNG bytes."""
    if fmt not in ("svg", "png"):
        raise MapError(f"cannot render a map as {fmt!r}; choose svg or png")
    program = shutil.which("dot")
    if program is None:
        raise MapError("Graphviz's `dot` program is not installed (Debian: apt-get install graphviz, or run "
                       "scripts/install-system-deps.sh); write the map as .dot instead")
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=dot_source.encode("utf-8"), capture_output=True,
                              timeout=DOT_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MapError(f"Graphviz took more than {DOT_TIMEOUT_S} s to draw the map") from exc
    if done.returncode != 0:
        raise MapError(f"Graphviz could not draw the map: {done.stderr.decode('utf-8', 'replace').strip()[:300]}")
    return done.stdout


def write_map(dot_source: str, path: str | Path) -> Path:
    """Write the map to ``path``: .svg and .png are rendered, .dot is the source; nothing is written on failure."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise MapError(f"{path}: unknown map format {path.suffix or '(none)'!r}; use .svg, .png or .dot")
    data = dot_source.encode("utf-8") if fmt == "dot" else render_dot(dot_source, fmt)
    path.write_bytes(data)
    return path
