"""`workbench serve` runs this file: the app's router (workbench/ui/app.py), from a folder without pages/."""
import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parents[1] / "app.py"), run_name="__main__")
