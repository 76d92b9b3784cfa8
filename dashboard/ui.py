"""Shared display pieces: verdict colours, icons and labels, safe HTML, links, tables."""

from __future__ import annotations

import html
import re
import urllib.parse

import pandas as pd
import streamlit as st

from kb.grading import Grade
from kb.model import Certainty, KnowledgeBase, Verdict
from kb.text import doi_url, pubmed_url, safe_url, short_citation

# Okabe-Ito palette (distinguishable with common colour-vision deficiencies); every use of a
# colour also shows the verdict's icon and words.
VERDICT_COLOURS = {
    Verdict.SUPPORTED: "#009E73",
    Verdict.LIMITED: "#E69F00",
    Verdict.MIXED: "#56B4E9",
    Verdict.CONTRADICTED: "#D55E00",
    Verdict.NO_EVIDENCE: "#999999",
    Verdict.NOT_CHECKABLE: "#CCCCCC",
    Verdict.NOT_GRADED: "#CC79A7",
}
CERTAINTY_COLOURS = {"high": "#004D40", "moderate": "#00897B", "low": "#80CBC4",
                     "very-low": "#E0F2F1", "none": "#FFFFFF"}
LONG_TERM_ICON = "⏳"


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def md_escape(text: object) -> str:
    """Text shown through st.markdown without being read as Markdown or HTML.

    Addresses in it are not turned into links either: GitHub-flavoured Markdown links bare
    'https://...' and 'www.' text even when escaped, so a word joiner (invisible) breaks them.
    """
    out = _md_chars(text)
    return _NO_AUTOLINK.sub("\u2060", out)


def _md_chars(text: object) -> str:
    out = html.escape("" if text is None else str(text), quote=False)
    for ch in "\\`*_{}[]()#+-.!|<>~$":
        out = out.replace(ch, "\\" + ch)
    return out


# Where GFM's autolink literal would start (a scheme's "://", "www.", an e-mail's "@"): a
# word joiner goes just before.
_NO_AUTOLINK = re.compile(r"(?<=[a-z])(?=:/)|(?<=www)(?=\\?\.)|(?=@\w)", re.I)


def md_link(url: str | None, label: str | None = None) -> str:
    """Markdown for a link to `url` labelled with the address itself (or `label`, our own
    words); an address `safe_url` rejects is shown as text, not linked."""
    target = safe_url(url)
    if target is None:
        return md_escape(label if label is not None else url)
    text = _md_chars(label if label is not None else url)  # (no autolink inside a link)
    # Brackets, parentheses and spaces in the target would end the link early.
    return f"[{text}]({urllib.parse.quote(target, safe=_URL_SAFE)})"


_URL_SAFE = ";/?:@&=+$,-_.!~*'#%"


def text_table(rows: dict[str, object]) -> None:
    """A two-column table of labels and values from the base, shown as text."""
    st.table(pd.DataFrame([{"": md_escape(k), "value": md_escape(v)} for k, v in rows.items()
                           if v not in (None, "")]))


def verdict_text(grade: Grade) -> str:
    v = grade.verdict
    text = f"{v.icon} {v.label}"
    if grade.certainty:
        text += f" · {grade.certainty.label} certainty"
    return text


def badge_html(verdict: Verdict) -> str:
    return (f'<span class="kb-badge" style="background:{VERDICT_COLOURS[verdict]}">'
            f"{esc(verdict.icon)} {esc(verdict.label)}</span>")


def page_link(page: str, **params: str) -> str:
    """Relative URL of a dashboard page with query parameters (for tables and HTML).

    In a library, the chosen article (`?base=`) goes along: such a link opens a new session.
    """
    base = st.session_state.get("kb_base")
    if base and "base" not in params:
        params = {**params, "base": base}
    return f"./{page}?" + urllib.parse.urlencode(params)


def study_links(kb: KnowledgeBase, key: str) -> dict[str, str | None]:
    ref = kb.references.get(key)
    if ref is None:
        return {"doi": None, "pubmed": None, "url": None}
    return {"doi": doi_url(ref.doi), "pubmed": pubmed_url(ref.pmid),
            "url": safe_url(ref.get("url"))}


def cite(kb: KnowledgeBase, key: str) -> str:
    ref = kb.references.get(key)
    return short_citation(ref) if ref else key


def certainty_rank(value: str | None) -> int:
    return Certainty(value).rank if value else 0


def download_csv(df: pd.DataFrame, label: str, file_name: str, key: str) -> None:
    # A callable is only run when the button is pressed, so big tables cost nothing until then.
    st.download_button(label, lambda: df.to_csv(index=False).encode("utf-8"),
                       file_name=file_name, mime="text/csv", key=key)


CSS = """
<style>
.kb-badge {display:inline-block;padding:0.1rem 0.5rem;border-radius:0.6rem;color:#000;
  font-weight:600;font-size:0.9rem;border:1px solid rgba(0,0,0,0.25)}
.kb-article {font-size:1.05rem;line-height:1.8;max-width:52rem}
.kb-article p {margin:0 0 1rem 0}
.kb-article a.kb-hl {color:inherit;text-decoration:none;border-bottom:3px solid;padding:0 1px;
  border-radius:2px}
.kb-article a.kb-hl sup {font-size:0.7rem;margin-left:1px}
.kb-legend span {margin-right:0.8rem;white-space:nowrap}
</style>
"""


def inject_css() -> None:
    st.markdown(CSS, unsafe_allow_html=True)


def filtered(df: pd.DataFrame, choices: dict[str, list[str]], query: str,
             searched: list[str]) -> pd.DataFrame:
    """Rows whose columns take one of the chosen values and that contain the query text."""
    view = df
    for column, wanted in choices.items():
        if wanted:
            view = view[view[column].isin(wanted)]
    if query:
        mask = pd.Series(False, index=view.index)
        for column in searched:
            mask |= view[column].str.contains(query, case=False, regex=False)
        view = view[mask]
    return view


def page_of(view: pd.DataFrame, page_size: int, key: str) -> pd.DataFrame:
    """One page of a long table, with a page chooser when there is more than one."""
    pages = max(1, -(-len(view) // page_size))
    page = st.number_input("Page", 1, pages, 1, key=key) if pages > 1 else 1
    return view.iloc[(page - 1) * page_size: page * page_size]
