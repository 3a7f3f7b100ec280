"""The layer contracts (import-linter, declared in pyproject.toml) hold, and each of them catches a breach.

Each breach test copies the three packages into a temporary folder, plants one import that a contract
forbids, and runs `lint-imports` there: the run must fail and name the offending import.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("workbench", "coding", "ingest")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed in this environment")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(LINT.parent), "PYTHONPATH": str(root), "HOME": str(root)}
    return subprocess.run([str(LINT), "--no-cache", "--config", str(root / "pyproject.toml")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_contracts_hold_on_the_code_as_it_is() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_contract_is_checked_and_none_has_exceptions() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert text.count("[[tool.importlinter.contracts]]") == 4
    assert "ignore_imports" not in text  # a breach is a design question, not a line to silence


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "demo_data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


BREACHES = [  # (module that gets the import, the import, what the report must name)
    ("workbench/store/db.py", "import workbench.analysis.search", "workbench.store.db -> workbench.analysis.search"),
    ("workbench/model.py", "import workbench.store", "workbench.model -> workbench.store"),
    ("workbench/sources/importer.py", "import workbench.assist.suggest",
     "workbench.sources.importer -> workbench.assist.suggest"),
    ("workbench/analysis/compare.py", "import workbench.assist.review",
     "workbench.analysis.compare -> workbench.assist.review"),
    ("workbench/cli/project.py", "import workbench.ui.nav", "workbench.cli.project -> workbench.ui.nav"),
    ("workbench/ui/nav.py", "import workbench.cli.base", "workbench.ui.nav -> workbench.cli.base"),
    ("ingest/text.py", "import workbench.errors", "ingest.text -> workbench.errors"),
    ("ingest/text.py", "import coding.units", "ingest.text -> coding.units"),
    ("coding/units.py", "import workbench.model", "coding.units -> workbench.model"),
    ("workbench/analysis/search.py", "import streamlit", "workbench.analysis.search -> streamlit"),
    ("coding/embedding.py", "import streamlit", "coding.embedding -> streamlit"),
]


@pytest.mark.parametrize(("module", "line", "named"), BREACHES, ids=[b[2] for b in BREACHES])
def test_a_planted_breach_fails_the_lint_naming_the_import(tree: Path, module: str, line: str, named: str) -> None:
    path = tree / module
    path.write_text(path.read_text() + f"\n{line}  # planted by the test\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert named in result.stdout, result.stdout


def test_no_module_sits_at_the_top_of_workbench_but_the_records_and_errors() -> None:
    top = sorted(p.name for p in (ROOT / "workbench").glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "errors.py", "model.py"]


@pytest.mark.parametrize("package", sorted(p.parent.name for p in (ROOT / "workbench").glob("*/__init__.py")))
def test_every_package_says_what_lives_there_and_what_it_may_import(package: str) -> None:
    doc = (ROOT / "workbench" / package / "__init__.py").read_text()
    assert doc.lstrip().startswith('"""')
    assert "May import" in doc
