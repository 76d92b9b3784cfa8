"""Library: the articles of a folder of knowledge bases with their verdict counts, and the
studies several of them cite. The first page when KB_DIR is a library (see `kb.library`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.data import library, load_base, selected_base
from dashboard.ui import md_escape
from kb.library import Library, article_row, shared_studies


BASE_KEY = "kb_base"


def gate() -> bool:
    """In a library with no article chosen, run the library page alone and return True.

    With an article chosen, the sidebar offers the way back to the library. Single-article
    use (KB_DIR holds claims.yaml) returns False and shows nothing.
    """
    lib = library()
    if lib is None:
        return False
    if selected_base(lib) is None:
        st.navigation([st.Page(render, title="Library", icon="🗂️", url_path="library",
                               default=True)]).run()
        return True
    with st.sidebar:
        if st.button(f"← {lib.title}: all articles", key="library-back"):
            st.session_state.pop(BASE_KEY, None)
            st.query_params.clear()
            st.rerun()
    return False


def _open(name: str) -> None:
    st.session_state[BASE_KEY] = name
    st.query_params["base"] = name


def render() -> None:
    lib = library()
    if lib is None:  # KB_DIR changed under a running server
        st.error("KB_DIR is not a library of knowledge bases.")
        return
    st.title(md_escape(lib.title))
    for problem in lib.problems:
        st.warning(problem, icon="⚠️")
    if not lib.entries:
        st.info("No knowledge bases found: each needs a folder holding claims.yaml.")
        return
    loaded = {e.name: load_base(e.path) for e in lib.entries}
    st.caption(f"{len(lib.entries)} articles. Open one to see its claims, evidence and checks.")
    for entry in lib.entries:
        data = loaded[entry.name]
        row = article_row(entry.name, data.kb, data.grades, len(data.report.errors))
        with st.container(border=True):
            st.subheader(md_escape(row.title), anchor=False)
            st.caption(md_escape(" · ".join(x for x in (row.publisher, f"{row.claims} claims")
                                            if x)))
            counts = [f"{v.icon} {v.label}: **{n}**" for v, n in row.verdicts.items() if n]
            st.markdown(" · ".join(counts) or "No claims yet.")
            if row.errors:
                st.error(f"{row.errors} problems in this base", icon="⚠️")
            st.button("Open", key=f"open-{entry.name}", on_click=_open, args=(entry.name,),
                      type="primary")
    _shared(lib, loaded)


def _shared(lib: Library, loaded: dict) -> None:
    st.header("Studies cited by several articles", anchor=False)
    shared = shared_studies({name: d.kb for name, d in loaded.items()})
    if not shared:
        st.caption("No study is cited by more than one article.")
        return
    titles = {name: (d.kb.article.title if d.kb.article else name)
              for name, d in loaded.items()}
    st.caption("The same study in two bases: same DOI, else PMID, else title. Each article "
               "keeps its own appraisal of it.")
    st.dataframe(pd.DataFrame([{
        "study": s.label,
        "identified by": s.identity,
        "articles": len(s.bases),
        "cited in": "; ".join(f"{titles[b]} ({key})" for b, key in s.citations),
    } for s in shared]), hide_index=True, use_container_width=True)



