"""Reports and spreadsheets page: choose what goes in, build, download."""
from __future__ import annotations

import io
import re
from pathlib import PurePath

import streamlit as st

from workbench.errors import WorkbenchError
from workbench.export.report import DEFAULT_MAX_QUOTES, ReportOptions, ReportSummary, report_bytes
from workbench.export.report.data import ALL_ORIGINS, HUMAN_ORIGINS, project_sites
from workbench.export.refi import import_qdpx
from workbench.export.refi.qdpx_export import qdpx_bytes
from workbench.export.refi.targets import REFI_STANDARD, TARGETS, target_for
from workbench.export.report.themes import grouping_of, report_themes
from workbench.sources.pseudonyms import project_roster
from workbench.export.spreadsheets import matrix_file, quotes_file
from workbench.sources.name_candidates import accept_name, dismiss_name, find_name_candidates, next_pseudonym
from workbench.model import Role
from workbench.store import Store
from workbench.ui import session
from workbench.ui.nav import link_to
from workbench.ui.text import counted, md, quote

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QDPX_MIME = "application/zip"
QDPX_TOOLS = {"refi": REFI_STANDARD.tool, **{key: target.tool for key, target in TARGETS.items()}}
ORIGIN_CHOICES = {"Applied by hand and accepted suggestions": ALL_ORIGINS, "Applied by hand only": HUMAN_ORIGINS}


REAL_NAMES_HELP = "Only a project's leads may export real names."


def _file_stem(title: str) -> str:
    return re.sub(r"[^\w-]+", "-", title).strip("-").lower() or "report"


def _report_form(store: Store) -> None:
    project = store.setting("name") or store.path.stem
    groups = report_themes(store)
    themes = [t.name for t in groups]
    by_category = grouping_of(groups) == "category"
    if by_category:  # one meaning of "theme": categories are never offered as themes
        st.caption("The project has no themes yet, so the report is organised by the codebook's top-level "
                   "categories. Build themes on the Themes page to organise it by them.")
        link_to("themes", "Build themes")
    with st.form("report.options"):
        title = st.text_input("Title", value=project, key="report.title")
        chosen_themes = st.multiselect("Codebook categories (all when empty)" if by_category else
                                       "Themes (all when empty)", themes, key="report.themes")
        sites = st.multiselect("Sites (all when empty)", project_sites(store), key="report.sites")
        max_quotes = st.number_input("Quotes per code", min_value=1, max_value=50, value=DEFAULT_MAX_QUOTES,
                                     key="report.max-quotes",
                                     help="Chosen to cover the sites and participants, not just the first ones.")
        origin = st.radio("Codings", list(ORIGIN_CHOICES), horizontal=True, key="report.origin",
                          help="Quotes from accepted suggestions are marked under the quote (machine-suggested, "
                               "accepted one by one or in bulk, and by whom), and the method section counts them.")
        pseudonymise = st.toggle("Pseudonymise participants", value=True, key="report.pseudonymise",
                                 disabled=not session.may(store, Role.LEAD),
                                 help="Case IDs or pseudonyms instead of names, also inside quotes."
                                 + ("" if session.may(store, Role.LEAD) else " " + REAL_NAMES_HELP))
        memos = st.checkbox("Include memos", key="report.memos",
                            help="Code memos under their code, coding memos under their quote, and a Memos section "
                                 "with project, document and case memos (names pseudonymised like quotes).")
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
        st.success(_built(summary))
        st.download_button("Download the report (.docx)", data, file_name=name, mime=DOCX_MIME)
        if summary.unreviewed_names:
            named = summary.quotes_with_unreviewed_names
            st.warning(f"{counted(named, 'quote')} {'contains' if named == 1 else 'contain'} possible names that "
                       f"nobody has reviewed ({md(', '.join(summary.unreviewed_names))}); the report says so. Review "
                       "them under “Names in quotes” below, then build the report again.")


def _built(summary: ReportSummary) -> str:
    """What the report holds, in words (singular where there is one)."""
    group = ("category", "categories") if summary.grouping == "category" else ("theme", "themes")
    behind = "it" if summary.quotes == 1 else "them"
    message = (f"{counted(summary.quotes, 'quote')} for {counted(summary.codes, 'code')} in "
               f"{counted(len(summary.themes), *group)} "
               f"({counted(summary.passages, 'coded passage')} behind {behind}).")
    if summary.machine_quotes:
        one = summary.machine_quotes == 1
        source = "comes from an accepted suggestion" if one else "come from accepted suggestions"
        bulk = f" ({summary.bulk_quotes} accepted in bulk)" if summary.bulk_quotes else ""
        message += f" {summary.machine_quotes} {source}{bulk} and {'is' if one else 'are'} marked as machine-suggested."
    return message + ("" if summary.pseudonymised else " Contains real names.")


def _spreadsheet_form(store: Store) -> None:
    with st.form("report.sheet-options"):
        what = st.radio("Spreadsheet", ["Quotes (one row per coding)", "Code × case presence matrix (0/1)"],
                        key="report.sheet-kind")
        fmt = st.radio("Format", ["xlsx", "csv"], horizontal=True, key="report.sheet-format",
                       help="CSV is UTF-8 with a byte-order mark so that Excel reads accents correctly.")
        sites = st.multiselect("Sites (all when empty)", project_sites(store), key="report.sheet-sites")
        origin = st.radio("Codings", list(ORIGIN_CHOICES), horizontal=True, key="report.sheet-origin")
        pseudonymise = st.toggle("Pseudonymise participants", value=True, key="report.sheet-pseudonymise",
                                 disabled=not session.may(store, Role.LEAD),
                                 help=None if session.may(store, Role.LEAD) else REAL_NAMES_HELP)
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


def _qdpx_export_form(store: Store) -> None:
    with st.form("report.qdpx-options"):
        tool = st.selectbox("For", list(QDPX_TOOLS), format_func=QDPX_TOOLS.__getitem__, key="report.qdpx-for",
                            help="Positions and line endings are written the way this tool counts them, so every "
                                 "coding lands on the same words there.")
        allowed = session.may(store, Role.LEAD)  # in team mode only a lead may export the texts with real names
        pseudonymise = st.toggle("Replace the names on the roster", value=not allowed, disabled=not allowed,
                                 key="report.qdpx-pseudonymise",
                                 help="In texts, memos, attributes and names; codings follow their words."
                                 + ("" if allowed else " " + REAL_NAMES_HELP))
        built = st.form_submit_button("Build .qdpx", key="report.qdpx-build")
    if built:
        roster = project_roster(store) if pseudonymise else None
        if pseudonymise and not roster:
            st.error("The roster is empty: add names on the Sources page or with `workbench roster` first.")
            return
        try:
            data = qdpx_bytes(store, for_tool=None if tool == "refi" else tool, pseudonymise=roster,
                              actor=session.require_coder())
        except WorkbenchError as exc:
            st.error(md(str(exc)))
            return
        st.session_state["report.qdpx-file"] = (f"{_file_stem(store.setting('name') or store.path.stem)}-{tool}.qdpx",
                                                data)
        st.session_state["report.qdpx-tool"] = tool
    if "report.qdpx-file" in st.session_state:
        name, data = st.session_state["report.qdpx-file"]
        key = st.session_state.get("report.qdpx-tool", "refi")
        target = target_for(None if key == "refi" else key)
        st.caption(f"For {target.tool}: positions in {target.describe()}.")
        st.download_button(f"Download {name}", data, file_name=name, mime=QDPX_MIME)


def _qdpx_import_form(store: Store) -> None:
    if not session.may(store, Role.LEAD):  # qdpx.import: a lead's (store/access.py)
        st.caption(session.only(Role.LEAD, "import a .qdpx"))
        return
    upload = st.file_uploader("A .qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder or qc", type=["qdpx"],
                              key="report.qdpx-upload")
    if st.button("Import .qdpx", disabled=upload is None, key="report.qdpx-import"):
        name = PurePath(upload.name).name  # never a path from the browser
        try:
            report = import_qdpx(store, io.BytesIO(upload.getvalue()), label=name, actor=session.require_coder())
        except WorkbenchError as exc:
            st.session_state.pop("report.qdpx-summary", None)
            st.error(md(str(exc)) + " Nothing was imported.")
            return
        st.session_state["report.qdpx-summary"] = "\n".join(report.summary())
    if "report.qdpx-summary" in st.session_state:
        st.text(st.session_state["report.qdpx-summary"])  # plain text: names from the file are never Markdown


def _names_review(store: Store) -> None:
    """Possible names not in the roster, one at a time: accept with a pseudonym, or dismiss."""
    candidates = {c.name: c for c in find_name_candidates(store)}
    if not candidates:
        st.success("No possible names outside the roster are left to review.")
        return
    chosen = st.selectbox(f"Possible names not in the roster ({len(candidates)})", list(candidates),
                          format_func=lambda n: f"{n} (×{candidates[n].mentions})", key="names.chosen")
    candidate = candidates[chosen]
    st.text(f"{candidate.reason}; in {', '.join(candidate.sources)}")
    quote(candidate.example)
    if not session.may(store, Role.LEAD):  # name.accept, name.dismiss and the roster: a lead's
        st.caption(session.only(Role.LEAD, "accept names into the roster or dismiss them"))
        return
    pseudonym = st.text_input("Pseudonym", value=next_pseudonym(store), key=f"names.pseudonym.{chosen}",
                              help="Replaces the name in every export (and in the stored texts with "
                                   "`workbench pseudonymise`).")
    accept_col, dismiss_col = st.columns(2)
    if accept_col.button("Accept into the roster", type="primary", key="names.accept"):
        _decide(lambda actor: accept_name(store, chosen, pseudonym, actor),
                f"{md(chosen)} is on the roster as {md(pseudonym.strip())}")
    if dismiss_col.button("Dismiss: not a person's name", key="names.dismiss"):
        _decide(lambda actor: dismiss_name(store, chosen, actor), f"{md(chosen)} dismissed")


def _decide(decision, message: str) -> None:
    try:
        decision(session.require_coder())
    except WorkbenchError as exc:
        st.error(md(str(exc)))
        return
    st.toast(message)
    st.rerun()


project_store = session.require_project()
st.title("Reports and spreadsheets")
ONLY_PSEUDONYMS = "build reports, spreadsheets and .qdpx files with pseudonyms; only its leads export real names, " \
                  "import a .qdpx or review names"
session.role_caption(project_store, viewer=ONLY_PSEUDONYMS, coder=ONLY_PSEUDONYMS)
st.subheader("Word evidence report")
st.caption("Method, codes across sites, and quotes per theme and code, ready to send.")
if not project_store.coders():
    st.info("Nothing is coded yet: the report quotes coded passages.")
    link_to("code", "Code sources")
else:
    _report_form(project_store)
st.subheader("Spreadsheets for analysis")
_spreadsheet_form(project_store)
st.subheader("Exchange with NVivo, ATLAS.ti, MAXQDA, QualCoder (REFI-QDA .qdpx)")
st.caption("Sources, codebook, codings, cases, attributes, sets and memos, with the GUIDs other tools know them by.")
_qdpx_export_form(project_store)
_qdpx_import_form(project_store)

st.subheader("Names in quotes")
st.caption("Possible names that the roster does not list: capitalised words inside sentences that are not English "
           "words, and names after a title, a relation or “called”. Accept a name to replace it in every export, "
           "or dismiss it; the report says how many quotes still contain names nobody has reviewed.")
_names_review(project_store)
