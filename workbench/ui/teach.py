"""The "Teach the assistant" panel of the Suggestions page: tune the model on the project's codings in a
background process, watch its progress (from any session, after a reload too), cancel, resume, and the
last result. The panel polls the project with a fragment while a training runs."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from coding.tuning import TuningParams
from workbench.assist.train_jobs import (POLL_SECONDS, TrainingStatus, cancel_training, resume_training, running_words,
                                         start_training, training_status)
from workbench.errors import WorkbenchError
from workbench.model import Role
from workbench.store import Store
from workbench.ui import session
from workbench.ui.text import md

MESSAGE = "teach.message"
EPOCHS = "teach.epochs"


def teach_panel(store: Store, actor: str) -> None:
    """The panel: codings counted against what tuning needs, Train, progress and Cancel, the last result."""
    status = training_status(store)
    with st.expander("Teach the assistant", expanded=status.state in ("running", "stopped")):
        st.caption("Tunes the suggestion model on this project's codings (rejected suggestions teach it what a code "
                   "is not), on this computer, in the background: keep coding meanwhile. A slice of the coded cases "
                   "is held out, and the new model is used only if it agrees better with the people there.")
        if status.state == "running":
            _running()
        else:
            _idle(store, status, actor)
        if MESSAGE in st.session_state:
            kind, text = st.session_state.pop(MESSAGE)
            getattr(st, kind)(md(text))


@st.fragment(run_every=POLL_SECONDS)
def _running() -> None:
    """Progress and Cancel, refreshed every few seconds; the whole page reruns once the training ends."""
    store = session.project()
    status = training_status(store)
    if status.state != "running":
        st.rerun()
    job = status.job
    if not job.total:
        st.progress(0.0, text="Starting: loading the model and the codings…")
    elif job.done < job.total:
        loss = f" · loss {job.loss:.3f}" if job.loss is not None else ""
        st.progress(status.fraction, text=f"Training: step {job.done:,} of {job.total:,}{loss}")
    else:  # tuned: the held-out check (encoding the held-out sentences) gets a bar of its own
        st.progress(1.0, text=f"Training: all {job.total:,} steps done")
        words = running_words(job)
        st.progress(job.checked or 0.0, text=words[0].upper() + words[1:])
    st.caption(md(f"Started by {job.started_by} at {job.started_at[:19].replace('T', ' ')} UTC "
                  f"(run {job.id})" + (", resuming from its last finished epoch" if (job.first_step or 1) > 1
                                       else "") + "."))
    if job.cancel_requested:
        st.info("Stopping within seconds (after the current training step or encoding); the current model stays.")
    elif session.may(store, Role.LEAD):  # training.* is a lead's (store/access.py)
        st.button("Cancel training", key="teach.cancel", on_click=_act, args=("cancel",))


def _idle(store: Store, status: TrainingStatus, actor: str) -> None:
    """Counts, the last run's outcome, and the buttons to train or resume."""
    short = status.needed - status.codings
    st.markdown(f"**{status.codings:,}** codings by people · tuning needs at least **{status.needed}**"
                + (f" (code **{short}** more)" if short > 0 else ""))
    st.caption(md(f"Suggestions use: {status.model}"))
    job = status.job
    if status.state == "stopped":
        st.warning(md(f"Training stopped — resume. Run {job.id} stopped: {job.message}. Resume continues from its "
                      "last finished epoch; the current model is unchanged."))
    elif status.state == "cancelled":
        st.info(md(job.message))
    elif status.state == "failed":
        st.error(md(job.message))
    elif status.state == "finished":
        _result(job.result)
    lead = session.may(store, Role.LEAD)  # training.* is a lead's (store/access.py)
    train_col, epochs_col, resume_col = st.columns([1.2, 1, 1.2])
    epochs_col.number_input("Epochs", 1, 20, 4, key=EPOCHS, help="Passes over the coded passages: more is slower.",
                            disabled=not lead)
    train_col.button("Train", type="primary", key="teach.train", disabled=not (status.ready and lead), on_click=_act,
                     args=("train",), help=session.only(Role.LEAD, "train the assistant") if not lead
                     else None if status.ready else f"Needs {status.needed} codings by people.")
    if lead and status.state in ("stopped", "cancelled", "failed"):
        resume_col.button("Resume", key="teach.resume", on_click=_act, args=("resume",),
                          help="Start the last run again with its settings; it continues from its checkpoint.")


def _result(result: dict) -> None:
    """The last finished run: before/after on the held-out slice, kept or not, the model's id."""
    if result["kept"]:
        st.success(md(f"Kept: suggestions now use {result['model']}."))
    else:
        st.info(md(f"Not kept: {result['model']} was not better on the held-out cases; suggestions keep using "
                   f"{result['previous']}." + (f" {result['note']}" if result.get("note") else "")))
    rows = [{"held-out cases": label, "kappa": result[key]["kappa"], "F1": result[key]["f1"],
             "precision": result[key]["precision"]}
            for label, key in (("before (" + result["previous"] + ")", "before"), ("after (new model)", "after"))]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.caption(md(f"Tuned on {result['passages']:,} passages ({result['codings']:,} codings) in "
                  f"{result['seconds']:.0f} s; checked on {result['holdout_groups']} held-out cases "
                  f"({result['holdout_units']:,} sentences)."))


def _act(action: str) -> None:
    """Train, resume or cancel as the session's coder; the outcome becomes the panel's message."""
    store, actor = session.project(), session.coder()
    try:
        if action == "train":
            job = start_training(store, actor, params=TuningParams(epochs=int(st.session_state.get(EPOCHS, 4))))
            st.session_state[MESSAGE] = ("success", f"Training run {job.id} started in the background.")
        elif action == "resume":
            job = resume_training(store, actor)
            st.session_state[MESSAGE] = ("success", f"Training run {job.id} resumes in the background.")
        else:
            cancel_training(store, actor)
            st.session_state[MESSAGE] = ("info", "Asked the training to stop after its current step.")
    except WorkbenchError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))
