"""Reports and spreadsheets page: choose what goes in, build, download."""
from __future__ import annotations

import re

import streamlit as st

from workbench.errors import WorkbenchError
from workbench.export.report import DEFAULT_MAX_QUOTES, ReportOptions, report_bytes
from workbench.export.report.data import ALL_ORIGINS, HUMAN_ORIGINS, project_sites
from workbench.export.report.themes import report_themes
from workbench.export.spreadsheets import matrix_file, quotes_file
from workbench.model import Role
from workbench.store import Store
from workbench.ui import session
from workbench.ui.text import md

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ORIGIN_CHOICES = {"Applied by hand and accepted suggestions": ALL_ORIGINS, "Applied by hand only": HUMAN_ORIGINS}


def _real_names_allowed(store: Store) -> bool:
    """Whether this session may export real names (always alone; in team mode, a lead)."""
    return store.access is None or store.access.role >= Role.LEAD


REAL_NAMES_HELP = "Only a project's leads may export real names."


def _file_stem(title: str) -> str:
    return re.sub(r"[^\w-]+", "-", title).strip("-").lower() or "report"


def _report_form(store: Store) -> None:
    project = store.setting("name") or store.path.stem
    themes = [t.name for t in report_themes(store)]
    with st.form("report.options"):
        title = st.text_input("Title", value=project, key="report.title")
        chosen_themes = st.multiselect("Themes (all when empty)", themes, key="report.themes")
        sites = st.multiselect("Sites (all when empty)", project_sites(store), key="report.sites")
        max_quotes = st.number_input("Quotes per code", min_value=1, max_value=50, value=DEFAULT_MAX_QUOTES,
                                     key="report.max-quotes",
                                     help="Chosen to cover the sites and participants, not just the first ones.")
        origin = st.radio("Codings", list(ORIGIN_CHOICES), horizontal=True, key="report.origin")
        pseudonymise = st.toggle("Pseudonymise participants", value=True, key="report.pseudonymise",
                                 disabled=not _real_names_allowed(store),
                                 help="Case IDs or pseudonyms instead of names, also inside quotes."
                                 + ("" if _real_names_allowed(store) else " " + REAL_NAMES_HELP))
        memos = st.checkbox("Include memos", key="report.memos")
        built = st.form_submit_button("Build report", type="primary")
    if built:
        options = ReportOptions(title=title or None, themes=chosen_themes, sites=sites,
                                max_quotes_per_code=int(max_quotes), origins=ORIGIN_CHOICES[origin],
                                pseudonymise=pseudonymise, include_memos=memos)
        try:
            data, summary = report_bytes(store, options)
        except WorkbenchError as exc:
            st.error(md(str(exc)))
            return
        st.session_state["report.file"] = (f"{_file_stem(summary.title)}-evidence-report.docx", data, summary)
    if "report.file" in st.session_state:
        name, data, summary = st.session_state["report.file"]
        st.success(f"{summary.quotes} quotes for {summary.codes} codes in {len(summary.themes)} themes "
                   f"({summary.passages} coded passages behind them)."
                   + ("" if summary.pseudonymised else " Contains real names."))
        st.download_button("Download the report (.docx)", data, file_name=name, mime=DOCX_MIME)


def _spreadsheet_form(store: Store) -> None:
    with st.form("report.sheet-options"):
        what = st.radio("Spreadsheet", ["Quotes (one row per coding)", "Code × case presence matrix (0/1)"],
                        key="report.sheet-kind")
        fmt = st.radio("Format", ["xlsx", "csv"], horizontal=True, key="report.sheet-format",
                       help="CSV is UTF-8 with a byte-order mark so that Excel reads accents correctly.")
        sites = st.multiselect("Sites (all when empty)", project_sites(store), key="report.sheet-sites")
        origin = st.radio("Codings", list(ORIGIN_CHOICES), horizontal=True, key="report.sheet-origin")
        pseudonymise = st.toggle("Pseudonymise participants", value=True, key="report.sheet-pseudonymise",
                                 disabled=not _real_names_allowed(store),
                                 help=None if _real_names_allowed(store) else REAL_NAMES_HELP)
        built = st.form_submit_button("Build spreadsheet")
    if built:
        maker = quotes_file if what.startswith("Quotes") else matrix_file
        try:
            data = maker(store, f".{fmt}", sites=sites, origins=ORIGIN_CHOICES[origin], pseudonymise=pseudonymise)
        except WorkbenchError as exc:
            st.error(md(str(exc)))
            return
        stem = "quotes" if maker is quotes_file else "code-case-matrix"
        st.session_state["report.sheet-file"] = (f"{stem}.{fmt}", data, fmt)
    if "report.sheet-file" in st.session_state:
        name, data, fmt = st.session_state["report.sheet-file"]
        st.download_button(f"Download {name}", data, file_name=name, mime=XLSX_MIME if fmt == "xlsx" else "text/csv")


project_store = session.require_project()
st.title("Reports and spreadsheets")
st.subheader("Word evidence report")
st.caption("Method, codes across sites, and quotes per theme and code, ready to send.")
_report_form(project_store)
st.subheader("Spreadsheets for analysis")
_spreadsheet_form(project_store)
