"""Check: the `kb check` report, so editors can fix the files from the dashboard."""

from __future__ import annotations

import streamlit as st

from dashboard.data import kb_dir, load
from dashboard.ui import esc, html_table

# The table shows this many problems; the text report below lists them all.
TABLE_ROWS = 500


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
    problems = list(report.sorted())
    rows = [[f"<span class=kb-nowrap>{esc(p.location())}</span><br><small>{esc(p.path)}</small>",
             f"{esc(p.severity.value)}<br><small><code>{esc(p.code)}</code></small>",
             esc(p.message), esc(p.hint)] for p in problems[:TABLE_ROWS]]
    st.html(html_table([("Where", "Where"), ("Severity", "Severity"),
                            ("Problem", "Problem"), ("What to do", "What to do")], rows,
                       widths=[24, 14, 38, 24]))
    if len(problems) > TABLE_ROWS:
        st.caption(f"The first {TABLE_ROWS} of {len(problems)} problems; all are listed below.")
    st.code(report.render(), language="text", wrap_lines=True)
