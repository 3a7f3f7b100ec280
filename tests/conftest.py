"""Shared fixtures: fresh real project files (no mocks of our own store)."""
from __future__ import annotations

import os
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


@pytest.fixture(autouse=True, scope="session")
def user_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's cache folder (the embedding model's ONNX export) is this session's own, for the tests and the
    processes they start; exported once per session."""
    path = tmp_path_factory.mktemp("user-cache")
    previous = os.environ.get("WORKBENCH_CACHE_DIR")
    os.environ["WORKBENCH_CACHE_DIR"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("WORKBENCH_CACHE_DIR", None)
    else:
        os.environ["WORKBENCH_CACHE_DIR"] = previous


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A new, empty project."""
    return Store.create(tmp_path / "project.wbproj", name="test")


