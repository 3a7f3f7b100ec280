"""Sources: import files, describe them with attributes (site, participant, role, wave …), filter the list."""
from pathlib import Path

import pandas as pd
import streamlit as st

from ingest import SUPPORTED_EXTENSIONS
from ingest.records import SOURCE_KINDS
from workbench.errors import InvalidMedia, WorkbenchError
from workbench.model import Role
from workbench.sources import media
from workbench.sources.importer import IngestReport

from workbench.ui import session
from workbench.ui.nav import open_in_code_page
from workbench.ui.text import counted, md
from workbench.ui.uploads import import_uploads, upload_name

FIXED = ["name", "kind", "words", "codings"]


def show_report(report: IngestReport) -> None:
    """What an import did, file by file for the ones that failed."""
    if report.added:
        st.success(f"Imported {len(report.added)} sources ({report.segments:,} segments).")
    if report.recordings:
        st.success("Recordings attached: " + ", ".join(f"{md(recording)} to {md(source)}"
                                                         for source, recording in report.recordings))
    if report.sidecars:
        st.info("Attributes read from " + ", ".join(md(Path(p).name) for p in report.sidecars))
    if report.unchanged:
        st.info(f"Already in the project, left as they were: {', '.join(md(Path(p).name) for p in report.unchanged)}")
    for skipped in report.skipped:
        st.error(f"**{md(upload_name(skipped.path) or skipped.path)}** was not imported: {md(skipped.reason)}")


def attribute_table(rows: list, keys: list[str]) -> pd.DataFrame:
    """Sources as rows, attribute keys as columns (id as the index)."""
    data = [{"id": s.id, "name": s.name, "kind": s.kind, "words": s.words, "codings": s.codings,
             **{k: s.attributes.get(k, "") for k in keys}} for s in rows]
    return pd.DataFrame(data, columns=["id", *FIXED, *keys]).set_index("id")


def changed_attributes(before: pd.DataFrame, after: pd.DataFrame, keys: list[str]) -> dict[int, dict[str, str]]:
    """Source id → the attributes the researcher changed in the table ('' clears one)."""
    def clean(value) -> str:
        return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()

    changes: dict[int, dict[str, str]] = {}
    for source_id in before.index:
        for key in keys:
            old, new = clean(before.at[source_id, key]), clean(after.at[source_id, key])
            if old != new:
                changes.setdefault(int(source_id), {})[key] = new
    return changes


store = session.require_project()
st.title("Sources")
lead = session.may(store, Role.LEAD)  # sources, attributes and recordings are a lead's (store/access.py)
ONLY_LEADS = "find sources and open them; only its leads import, describe or remove them"
session.role_caption(store, viewer=ONLY_LEADS, coder=ONLY_LEADS)

if lead:
    with st.expander("Import files", expanded=not store.counts()["sources"]):
        st.caption("TXT, MD, DOCX, PDF, VTT, SRT, CSV, XLSX, JSON. A CSV whose first column is `file` is read as "
                   "attributes for the other files (site, participant, role, wave …). A recording (WAV, MP3, M4A, "
                   "OGG, MP4, WebM) uploaded with its transcript of the same name (interview.vtt + interview.wav) is "
                   "attached to it.")
        uploader_key = f"sources.upload.{st.session_state.get('sources.upload_round', 0)}"
        files = st.file_uploader("Files to import", accept_multiple_files=True, key=uploader_key,
                                 type=[suffix.lstrip(".")
                                       for suffix in (*SUPPORTED_EXTENSIONS, *media.MEDIA_EXTENSIONS)])
        kind = st.selectbox("Kind of source", ["detect from the file", *SOURCE_KINDS], key="sources.kind")
        if st.button("Import", type="primary", disabled=not files, key="sources.import"):
            actor = session.require_coder()
            try:
                st.session_state["sources.report"] = import_uploads(
                    store, files, None if kind == "detect from the file" else kind, actor)
            except WorkbenchError as exc:  # shown after the rerun below (an error drawn now would vanish with it)
                st.session_state["sources.error"] = str(exc)
            st.session_state["sources.upload_round"] = st.session_state.get("sources.upload_round", 0) + 1
            st.rerun()
        if "sources.error" in st.session_state:
            st.error(md(st.session_state.pop("sources.error")))
        if "sources.report" in st.session_state:
            show_report(st.session_state["sources.report"])

st.subheader("Filter")
all_sources = store.list_sources()
keys = sorted(set(store.attribute_keys()) | set(st.session_state.get("sources.extra_keys", [])))
name_col, kind_col, key_col, value_col = st.columns(4)
name_filter = name_col.text_input("Name contains", key="sources.name_filter")
kind_filter = kind_col.selectbox("Kind", ["any", *sorted({s.kind for s in all_sources})], key="sources.kind_filter")
attr_key = key_col.selectbox("Attribute", ["any", *keys], key="sources.attr_key")
values = sorted({s.attributes[attr_key] for s in all_sources if attr_key in s.attributes}) if attr_key != "any" else []
attr_values = value_col.multiselect("Values", values, key="sources.attr_values", disabled=attr_key == "any")

shown = [s for s in all_sources
         if name_filter.lower() in s.name.lower()
         and (kind_filter == "any" or s.kind == kind_filter)
         and (attr_key == "any" or not attr_values or s.attributes.get(attr_key) in attr_values)]

st.subheader(f"{len(shown)} of {len(all_sources)} sources")
if not shown:
    st.info("No sources match." if all_sources else "No sources yet: import some files above." if lead
            else "No sources yet.")
    st.stop()

table = attribute_table(shown, keys)
edited = st.data_editor(
    table, key=f"sources.table.{st.session_state.get('sources.table_round', 0)}", width="stretch",
    num_rows="fixed", disabled=FIXED if lead else True, hide_index=True,
    column_config={"name": st.column_config.TextColumn("Source", width="large"),
                   "words": st.column_config.NumberColumn("Words", format="%d"),
                   "codings": st.column_config.NumberColumn("Codings", format="%d")})
if lead:  # the table above is read-only for the others
    changes = changed_attributes(table, edited, keys)
    save_col, add_col, add_btn_col = st.columns([2, 2, 1], vertical_alignment="bottom")
    if save_col.button(f"Save {counted(sum(len(v) for v in changes.values()), 'attribute change')}", type="primary",
                       disabled=not changes, key="sources.save"):
        actor = session.require_coder()
        try:
            for source_id, values_changed in changes.items():
                store.set_attributes("source", source_id, values_changed, actor)
        except WorkbenchError as exc:
            st.error(md(str(exc)))
        else:
            st.session_state["sources.table_round"] = st.session_state.get("sources.table_round", 0) + 1
            st.toast(f"Saved attributes of {counted(len(changes), 'source')}")
            st.rerun()
    new_key = add_col.text_input("New attribute column", key="sources.new_key", placeholder="e.g. wave")
    if add_btn_col.button("Add column", key="sources.add_key", disabled=not new_key.strip()):
        extra = st.session_state.setdefault("sources.extra_keys", [])
        if new_key.strip().lower() not in extra:
            extra.append(new_key.strip().lower())
        st.rerun()

st.subheader("Open or remove a source" if lead else "Open a source")
by_id = {s.id: s for s in shown}
chosen = st.selectbox("Source", list(by_id), format_func=lambda i: by_id[i].name, key="sources.chosen")
open_col, attach_col, delete_col = st.columns(3)
if open_col.button("Open in the Code page", key="sources.open", icon=":material/edit_note:"):
    open_in_code_page(chosen)
with attach_col.popover("Recording", icon=":material/mic:"):
    recording = store.recording(chosen)
    if recording is None:
        st.caption("No recording yet. " + ("Attach the interview's audio or video: it is copied beside the project, "
                                           "never altered, and plays on the Code page from any turn's time."
                                           if lead else session.only(Role.LEAD, "attach one")))
    else:
        try:
            media.recording_path(store, recording)
            st.caption(md(f"{recording.original_name} ({recording.kind}, {recording.format.upper()}, "
                          f"{recording.size:,} bytes), attached by {recording.attached_by}."))
        except InvalidMedia as exc:
            st.warning(md(str(exc)))
        if not store.source_has_times(chosen):
            st.caption("This source has no times, so the Code page shows no player for it.")
    if lead:
        upload = st.file_uploader("Audio or video",
                                  key=f"sources.recording.{st.session_state.get('sources.recording_round', 0)}",
                                  type=[suffix.lstrip(".") for suffix in media.MEDIA_EXTENSIONS])
        if st.button("Attach", type="primary", key="sources.attach", disabled=upload is None):
            try:
                done = media.attach_recording_bytes(store, chosen, upload, upload_name(upload.name) or "recording",
                                                    session.require_coder())
            except WorkbenchError as exc:
                st.error(md(str(exc)))
            else:
                st.session_state["sources.recording_round"] = st.session_state.get("sources.recording_round", 0) + 1
                st.toast(md(f"Attached {done.original_name} to {by_id[chosen].name}"))
                st.rerun()
if lead:
    with delete_col.popover("Remove from the project", icon=":material/delete:"):
        st.write(f"This removes **{md(by_id[chosen].name)}** with its {by_id[chosen].codings} codings.")
        if st.button("Remove it", type="primary", key="sources.delete"):
            try:
                store.delete_source(chosen, session.require_coder())
            except WorkbenchError as exc:
                st.error(md(str(exc)))
            else:
                st.rerun()
