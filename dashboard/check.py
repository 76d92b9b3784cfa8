"""Check: the `kb check` report, so editors can fix the files from the dashboard."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.data import kb_dir, load


def render() -> None:
    data = load()
    report = data.report
    st.title("Check")
    st.caption(f"Knowledge base folder: {kb_dir()} · the same report as `kb check`.")
    if report.valid:
        st.success(f"No errors. {report.summary()}.", icon="✅")
    else:
        st.error(f"{report.summary()}. Claims with errors are shown as “not graded” until "
                 "fixed.", icon="⚠️")
    if not len(report):
        return
    df = pd.DataFrame([{"where": p.location(), "severity": p.severity.value, "code": p.code,
                        "data path": p.path, "problem": p.message, "what to do": p.hint}
                       for p in report.sorted()])
    st.dataframe(df, hide_index=True, width="stretch", key="check_table",
                 column_config={"problem": st.column_config.TextColumn(width="large"),
                                "what to do": st.column_config.TextColumn(width="large")})
    st.code(report.render(), language="text")
