"""Run the workbench from a checkout with `streamlit run app.py`; `workbench app` runs workbench/ui/app.py."""
import runpy

runpy.run_module("workbench.ui.app", run_name="__main__")
