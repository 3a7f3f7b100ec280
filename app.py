"""Run the workbench from a checkout with `streamlit run app.py`; `workbench app` runs workbench/ui/app.py the same
way, from workbench/ui/server/main.py (no pages/ folder beside either main script)."""
import runpy

runpy.run_module("workbench.ui.app", run_name="__main__")
