"""Changes: the change log (review-log.jsonl), filterable by claim and editor, and the
verdicts that changed since a git revision (`kb diff`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.data import kb_dir, load
from dashboard.ui import page_link
from dashboard.versions import since_revision
from kb.edit import LOG_FILE, read_log, record_changes, record_verdicts


def log_frame(records: list[dict]) -> pd.DataFrame:
    out = []
    for r in records:
        changes = "; ".join(f"{path}: {a} → {b}" for path, a, b in record_changes(r, 100))
        v0, v1 = record_verdicts(r)
        claim = r.get("claim") or ""
        out.append({"time": r.get("time", ""), "editor": r.get("editor", ""),
                    "claim": page_link("claim", claim=claim) if claim else "",
                    "claim id": claim, "operation": r.get("operation", ""),
                    "verdict": "" if v0 == v1 else f"{v0} → {v1}", "change": changes})
    return pd.DataFrame(out, columns=["time", "editor", "claim", "claim id", "operation",
                                      "verdict", "change"])


def render() -> None:
    data = load()
    st.title("Changes")
    st.caption(f"Every change saved from the dashboard's edit mode or the `kb review`, "
               f"`override`, `link` and `unlink` commands, from `{LOG_FILE}` in the base folder.")
    log = read_log(kb_dir())
    for problem in log.problems:
        st.warning(problem.render())
    df = log_frame(log.records)
    if df.empty:
        st.info("No change has been saved yet.")
    else:
        claims = sorted(c for c in df["claim id"].unique() if c)
        editors = sorted(e for e in df["editor"].unique() if e)
        wanted_claim = [c for c in st.query_params.get_all("claim") if c in claims]
        wanted_editor = [e for e in st.query_params.get_all("editor") if e in editors]
        left, right = st.columns(2)
        pick_claims = left.multiselect("Claim", claims, default=wanted_claim,
                                       key="changes_claim")
        pick_editors = right.multiselect("Editor", editors, default=wanted_editor,
                                         key="changes_editor")
        st.query_params["claim"] = pick_claims
        st.query_params["editor"] = pick_editors
        view = df
        if pick_claims:
            view = view[view["claim id"].isin(pick_claims)]
        if pick_editors:
            view = view[view["editor"].isin(pick_editors)]
        st.caption(f"{len(view)} of {len(df)} changes, newest first.")
        st.dataframe(view.iloc[::-1].drop(columns=["claim id"]), hide_index=True,
                     width="stretch", key="changes_table", column_config={
                         "claim": st.column_config.LinkColumn(
                             "claim", display_text=r"claim=(.*)$"),
                         "change": st.column_config.TextColumn(width="large")})
    st.subheader("Verdicts changed since a revision")
    since_revision(data, "changes")
