"""Members (team server only): who works on the open project and as what; its leads add, change and remove."""
import streamlit as st

from workbench.errors import WorkbenchError
from workbench.model import Role
from workbench.team.members import add_member, members, remove_member
from workbench.ui import session, team

ROLE_HELP = {"lead": "codebook, sources, members, merge, exports with real names, delete",
             "coder": "code, review suggestions, memos, themes, pseudonymised exports",
             "viewer": "read, pseudonymised exports"}

st.title("Members")
store = session.require_project()
me = store.access
if me is None:  # the single-user app has no members
    st.info("Members belong to a team server (`workbench serve`).")
    st.stop()


def _change(action, *args) -> None:
    try:
        action(team.team(), me.project, *args, by=me)
    except WorkbenchError as exc:
        st.session_state["members.error"] = str(exc)


rows = members(team.team(), me.project)
st.dataframe([{"account": m.account, "role": m.role.label, "added by": m.added_by, "since": m.added_at[:10]}
              for m in rows], hide_index=True, width="stretch")
for role, can in ROLE_HELP.items():
    st.caption(f"{role}: {can}")
if me.role != Role.LEAD:
    st.info(f"You are a {me.role.label} of this project: its leads manage the members.")
    st.stop()

error = st.session_state.pop("members.error", None)
if error:
    st.error(error)
with st.form("members.add", clear_on_submit=True):
    who = st.text_input("Account or institutional e-mail", max_chars=100, key="members.who")
    role = st.selectbox("Role", list(ROLE_HELP), index=1, key="members.role")
    if st.form_submit_button("Add or change", type="primary"):
        _change(add_member, who.strip(), Role.parse(role))
        st.rerun()
others = [m.account for m in rows if m.account.lower() != me.user.lower()]
if others:
    with st.form("members.remove"):
        gone = st.selectbox("Remove a member (their codings stay)", others, key="members.gone")
        if st.form_submit_button("Remove"):
            _change(remove_member, gone)
            st.rerun()
