"""How fast the command line starts: `workbench --help`, `workbench sources` and `workbench info` against
`python -c pass` and `python -c "import sqlite_utils"`, all measured in the same run (target ≤ 0.5 s
for --help and sources).

    python bench/cli_start.py [--runs 9]

Each figure is the median wall time of fresh processes; a small project is built once in a temporary
folder (no models are loaded: that is the point).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.5


def median_seconds(command: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "bench.wbproj"
        (Path(folder) / "a.txt").write_text("Interviewer: How is the garden?\nAnn: We meet there every week.\n")
        env = {**os.environ, "WORKBENCH_PROJECT": str(project), "PYTHONPATH": str(ROOT)}
        workbench = [python, "-m", "workbench"]
        subprocess.run([*workbench, "init", str(project)], check=True, capture_output=True, env=env)
        subprocess.run([*workbench, "ingest", str(Path(folder) / "a.txt"), "--as", "bench"], check=True,
                       capture_output=True, env=env)
        rows = [
            ("python -c pass (baseline)", [python, "-c", "pass"], None),
            ('python -c "import sqlite_utils" (baseline)', [python, "-c", "import sqlite_utils"], None),
            ("workbench --help", [*workbench, "--help"], TARGET),
            ("workbench sources", [*workbench, "sources"], TARGET),
            ("workbench info", [*workbench, "info"], None),
        ]
        print(f"{'command':48} {'median s':>9}  target")
        for label, command, target in rows:
            seconds = median_seconds(command, args.runs, env)
            verdict = "" if target is None else f"≤ {target:.1f} s {'met' if seconds <= target else 'MISSED'}"
            print(f"{label:48} {seconds:9.3f}  {verdict}")


if __name__ == "__main__":
    main()
