"""Shared fixtures: fresh real project files (no mocks of our own store)."""
from __future__ import annotations

from pathlib import Path

import pytest

from workbench.store import Store

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def fixtures_dir(*parts: str) -> Path:
    """A folder of ../shared/fixtures, or skip the test when it is absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real-world fixtures not available at {path}")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A new, empty project."""
    return Store.create(tmp_path / "project.wbproj", name="test")


