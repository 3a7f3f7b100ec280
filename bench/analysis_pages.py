"""How quickly the Reliability and Compare pages answer a widget change that changes no data.

    python bench/analysis_pages.py [--sources 1000] [--codings 50000]

Builds the project of `bench/compare.py` (two coders' codings over generated interviews and surveys), then
runs each page with AppTest: the first run, and two widget changes that change no data (Reliability: the
disagreements' code; Compare: the cell whose quotes are read). With results cached per project version
(`workbench/ui/results.py`) these reuse the analysis instead of computing it again.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

PAGES = ROOT / "workbench" / "ui" / "pages"


def timed(run) -> float:
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def pick_code(at: AppTest) -> None:
    at.selectbox(key="reliability.code").set_value(at.selectbox(key="reliability.code").options[2])


def every_code(at: AppTest) -> None:
    at.selectbox(key="reliability.code").set_value(None)


def another_column(at: AppTest) -> None:
    at.selectbox(key="compare.column").set_value(at.selectbox(key="compare.column").options[1])


def another_row(at: AppTest) -> None:
    at.selectbox(key="compare.row").set_value(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--codings", type=int, default=50_000, help="codings per coder (two coders)")
    args = parser.parse_args()
    sys.path.append(str(ROOT / "bench"))  # after the package root: bench/ingest.py must not hide `ingest`
    from compare import build_project

    with tempfile.TemporaryDirectory(prefix="bench-analysis-pages-") as folder:
        path = Path(folder) / "bench.wbproj"
        build_project(path, args.sources, args.codings, 30, 11).close()
        for page, changes in [("reliability", [pick_code, every_code]), ("compare", [another_column, another_row])]:
            at = AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=600)
            at.session_state["project_path"] = str(path)
            at.session_state["coder"] = "bench"
            first = timed(at.run)
            assert not at.exception, at.exception
            again = []
            for change in changes:
                change(at)
                again.append(timed(at.run))
                assert not at.exception, at.exception
            print(f"{page}: first run {first:.2f} s; widget changes that change no data: "
                  + ", ".join(f"{seconds:.2f} s" for seconds in again))


if __name__ == "__main__":
    main()
