"""Verdicts changed since a git revision (`kb diff` in the dashboard), shared by the Changes
page and the overview so that neither page imports the other."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.data import Loaded, kb_dir
from dashboard.ui import md_escape
from kb.diff import Version, VersionError, compare, load_version, revision_id, rows


def since_revision_panel(data: Loaded) -> None:
    """The overview's small view of `kb diff`: folded until opened."""
    with st.expander("Verdicts changed since a revision"):
        since_revision(data, "overview")


def since_revision(data: Loaded, key: str) -> None:
    """Verdicts, certainties, flags and links that differ from a git revision (or another
    base folder) of this base: `kb diff REV` in the dashboard."""
    rev = st.text_input("Git revision or folder", value="HEAD", key=f"{key}_since",
                        help="HEAD is the last commit; HEAD~5, a tag, a commit id or the path "
                             "of another base folder also work.")
    if not st.toggle("Compare", key=f"{key}_since_on"):
        return
    try:
        changes = _compare(kb_dir(), rev.strip(), data)
    except VersionError as exc:
        st.error(str(exc))
        return
    if not changes:
        st.success(f"No verdict, certainty, long-term flag, override, review status or link "
                   f"differs from {md_escape(rev)}.")
        return
    table = pd.DataFrame(rows(changes), columns=["claim", "verdict", "certainty",
                                                 "lacking long-term", "override", "review",
                                                 "links", "why"])
    st.dataframe(table, hide_index=True, width="stretch", key=f"{key}_since_table",
                 column_config={"why": st.column_config.TextColumn(width="large")})


def _compare(root: str, rev: str, data: Loaded) -> list:
    commit = revision_id(rev, root)
    old = load_version(rev, root) if commit is None else _at_commit(root, commit)
    return compare(old, Version(root, data.kb, data.report, data.grades))


@st.cache_resource(max_entries=4, show_spinner="Reading that version…")
def _at_commit(root: str, commit: str) -> Version:
    return load_version(commit, root)
