"""The team server's main script lives here, in a folder without a ``pages/`` directory.

Streamlit runs any ``pages/*.py`` beside the main script directly when its URL is opened first, before the
router's ``st.navigation`` is called; for `workbench app` that only shows the legacy menu, but on a team
server it would step past the sign-in page. From here, the router decides every page.
May import: what the ui may import (the router in ``workbench/ui/app.py``).
"""
