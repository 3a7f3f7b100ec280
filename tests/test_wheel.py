"""The package works when installed from its wheel, outside the checkout.

Builds the wheel with `python -m build`, installs it (without dependencies) into a fresh venv in a
temporary folder whose only other packages are the dependencies already installed for the tests
(a .pth line points at them, so nothing is downloaded), then from a folder that is not the checkout:
`workbench demo`, `workbench suggest` and `workbench app` (headless), and the page fetched through
Debian's Chromium.
"""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from test_app_browser import CHROMIUM, CHROMIUM_ARGS, free_port, run_server

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("build")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    source = tmp_path_factory.mktemp("source") / "tree"  # a clean copy: no build/ left over from another run
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "demo-project", "artefacts", "*.wbproj*"))
    result = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
                             str(source)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (found,) = out.glob("resilience_workbench-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; the test environment's site-packages lend the dependencies."""
    folder = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    (purelib,) = folder.glob("lib/python*/site-packages")
    (purelib / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(folder / "bin" / "python"), "install", "--no-deps",
                    "--no-index", "--quiet", str(wheel)], check=True, timeout=300)
    return folder


def test_the_wheel_carries_the_app_pages_assets_demo_and_codebook(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("workbench/ui/app.py", "workbench/ui/pages/code.py", "workbench/ui/document.js",
                     "workbench/ui/document.css", "coding/codebooks/resilience.yaml",
                     "workbench/sources/demo_data/corpus/README.md"):
        assert expected in names, expected
    assert not [n for n in names if n.startswith(("codebooks/", "tests/", "bench/"))]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    assert "License-Expression: MIT" in zipfile.ZipFile(wheel).read(metadata).decode()


def _run(venv: Path, cwd: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WORKBENCH_PROJECT", "VIRTUAL_ENV")}
    return subprocess.run([str(venv / "bin" / "workbench"), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_installed_workbench_imports_from_the_venv_not_the_checkout(venv: Path, tmp_path: Path) -> None:
    result = subprocess.run([str(venv / "bin" / "python"), "-c", "import workbench, coding; "
                             "print(workbench.__file__); print(coding.__file__)"],
                            cwd=tmp_path, capture_output=True, text=True, check=True)
    for line in result.stdout.splitlines():
        assert line.startswith(str(venv)), line


def test_demo_suggest_and_app_from_the_installed_wheel(venv: Path, tmp_path: Path) -> None:
    project = tmp_path / "demo.wbproj"
    built = _run(venv, tmp_path, "demo", str(project))
    assert built.returncode == 0, built.stderr
    assert "codings" in built.stdout
    suggested = _run(venv, tmp_path, "suggest", "--project", str(project), "--as", "wheel", "--show", "0",
                     "--source", "AV-R01_jean.txt")
    assert suggested.returncode == 0, suggested.stderr
    assert "suggestion" in suggested.stdout.lower()

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["WORKBENCH_RECENT_FILE"] = str(tmp_path / "recent.json")
    command = [str(venv / "bin" / "workbench"), "app", "--project", str(project), "--port", str(port), "--as", "wheel"]
    with contextmanager(run_server)(command, port, cwd=tmp_path, env=env, log_path=tmp_path / "app.log",
                                    timeout=90) as url:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url)
            page.get_by_text("Stronger Together").first.wait_for(timeout=60_000)
            assert "Traceback" not in page.content()
            browser.close()
