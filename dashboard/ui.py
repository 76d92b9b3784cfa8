"""Shared display pieces: verdict colours, icons and labels, safe HTML, links, tables."""

from __future__ import annotations

import html
import re
import urllib.parse
from functools import lru_cache

import pandas as pd
import streamlit as st

from dashboard import links

from kb.glossary import Entry, lookup
from kb.grading import Grade
from kb.model import Certainty, KnowledgeBase, LongTerm, Settings, Verdict
from kb.tables import split_on_keys
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


def show_long_term(grade: Grade, long_term_weeks: float) -> None:
    """The claim's long-term flag, in words (never a blank that could read as 'no')."""
    flag = grade.long_term
    if flag is LongTerm.LACKING:
        st.warning(f"{LONG_TERM_ICON} Long-term evidence: lacking. No supporting trial or "
                   f"review follows patients for {long_term_weeks:g} weeks or more.")
    elif flag is LongTerm.HAS_LONG_TERM_EVIDENCE:
        st.caption(f"Long-term evidence: present (a trial or review follows patients for "
                   f"{long_term_weeks:g} weeks or more).")
    else:
        st.caption("Long-term evidence: n/a (the long-term flag does not apply to this kind "
                   "of claim).")


def long_term_text(grade: Grade) -> str:
    """The three-valued long-term flag for tables: '⏳ lacking', 'has long-term evidence', 'n/a'."""
    flag = grade.long_term
    return f"{LONG_TERM_ICON} {flag.label}" if flag is LongTerm.LACKING else flag.label


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
    """Relative URL of a dashboard page with query parameters (for tables and HTML); in a
    library the chosen article goes along (see `dashboard.links.url`)."""
    return links.url(page, **params)


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
.block-container {padding-top:2.5rem}
.kb-badge {display:inline-block;padding:0.1rem 0.5rem;border-radius:0.6rem;color:#000;
  font-weight:600;font-size:0.9rem;border:1px solid rgba(0,0,0,0.25)}
.kb-article {font-size:1.05rem;line-height:1.8;max-width:52rem}
.kb-article p {margin:0 0 1rem 0}
.kb-article a.kb-hl {color:inherit;text-decoration:none;border-bottom:3px solid;padding:0 1px;
  border-radius:2px}
.kb-article a.kb-hl sup {font-size:0.7rem;margin-left:1px}
.kb-legend span {margin-right:0.8rem;white-space:nowrap}
.kb-legend {display:flex;flex-wrap:wrap;gap:0.2rem 0.4rem;font-size:0.9rem}
.kb-swatch {display:inline-block;width:0.9rem;height:0.9rem;border:1px solid #555;
  vertical-align:middle;margin-right:0.25rem}
.kb-round {border-radius:50%}
a.kb-term {color:inherit;text-decoration:none;border-bottom:1px dotted currentColor;cursor:help}
table.kb-table {border-collapse:collapse;width:100%;font-size:0.92rem;margin:0.3rem 0 0.8rem 0}
table.kb-table th, table.kb-table td {border-bottom:1px solid rgba(128,128,128,0.3);
  padding:0.35rem 0.45rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
table.kb-table th {font-weight:600;white-space:nowrap;background:rgba(128,128,128,0.08)}
table.kb-table td.kb-num {text-align:right;white-space:nowrap}
table.kb-table small, .kb-small {color:#666;font-size:0.8rem}
table.kb-table a {text-decoration:none}
table.kb-table a:hover {text-decoration:underline}
.kb-stance {white-space:nowrap}
.kb-nowrap {white-space:nowrap;font-family:monospace;font-size:0.85rem}
dl.kb-glossary dt {font-weight:600;margin-top:0.6rem}
dl.kb-glossary dd {margin:0 0 0 1rem;max-width:50rem}
dl.kb-glossary dt:target, dl.kb-glossary dt:target + dd {background:rgba(255,200,0,0.25)}
table.kb-gap {border-collapse:collapse;width:100%;font-size:0.92rem}
table.kb-gap th, table.kb-gap td {border-bottom:1px solid rgba(128,128,128,0.25);
  padding:0.25rem 0.3rem;vertical-align:middle}
table.kb-gap th {text-align:center;font-weight:600}
table.kb-gap th:first-child {text-align:left}
table.kb-gap td.kb-gap-c {text-align:center;width:11%}
.kb-gap-dot {display:inline-flex;align-items:center;justify-content:center;border-radius:50%;
  border:1px solid #333;font-size:0.75rem;font-weight:600}
.kb-gap-none {color:#bbb}
@media (max-width: 640px) {
  table.kb-gap {font-size:0.85rem}
  table.kb-gap th.kb-gap-h {font-size:0.75rem;padding:0.2rem 0.1rem}
  /* Phones: each row becomes a card, each cell a labelled line, nothing scrolls sideways. */
  table.kb-table thead {display:none}
  table.kb-table, table.kb-table tbody, table.kb-table tr, table.kb-table td {display:block;
    width:100%}
  table.kb-table tr {border:1px solid rgba(128,128,128,0.35);border-radius:0.5rem;
    margin:0 0 0.6rem 0;padding:0.3rem 0.4rem}
  table.kb-table td {border:none;padding:0.15rem 0.2rem}
  table.kb-table td.kb-num {text-align:left}
  table.kb-table td[data-label]::before {content:attr(data-label) ": ";font-weight:600}
  .kb-article {font-size:1rem}
}
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


# --- words for ids: glossary tooltips, study and claim names, readable tables --------------

@lru_cache(maxsize=8)
def _glossary(settings: Settings) -> dict[tuple[str, str], Entry]:
    return lookup(settings)


def term(group: str, key: str, settings: Settings | None = None) -> Entry:
    """The glossary entry of a vocabulary value (e.g. `term("stance", "context")`)."""
    found = _glossary(settings or Settings()).get((group, key))
    return found or Entry(group, key, key, "")  # a value the glossary does not know yet


def term_help(group: str, key: str, settings: Settings | None = None) -> str:
    """A help tooltip: the plain meaning of a term."""
    e = term(group, key, settings)
    return f"**{e.term}**: {e.text}"


def term_html(group: str, key: str, label: str | None = None,
              settings: Settings | None = None) -> str:
    """A term as HTML that explains itself on hover and links to its glossary entry."""
    e = term(group, key, settings)
    return (f'<a class="kb-term" href="./glossary#{esc(e.anchor)}" target="_self" '
            f'title="{esc(e.text)}">{esc(label if label is not None else e.term)}</a>')


def kind_label(kind: str | None) -> str:
    return term("kind", kind).term if kind else ""


def stance_label(stance: str) -> str:
    return term("stance", stance).term.removesuffix(" (stance)")


def html_link(href: str, label: str, title: str | None = None) -> str:
    tip = f' title="{esc(title)}"' if title else ""
    return f'<a href="{esc(href)}" target="_self"{tip}>{esc(label)}</a>'


def html_table(headers: list[tuple[str, str]], rows: list[list[str]],
               numeric: frozenset[int] = frozenset(), row_ids: list[str] | None = None,
               widths: list[int] | None = None) -> str:
    """A table that wraps its text, fits the width and turns into cards on a phone.

    `headers` are (header HTML, plain label for the phone cards); cells are HTML, already
    escaped. `row_ids` become `data-row` attributes (tests and anchors use them).
    """
    if widths:
        head = "".join(f'<th style="width:{w}%">{h}</th>'
                       for (h, _), w in zip(headers, widths, strict=True))
    else:
        head = "".join(f"<th>{h}</th>" for h, _ in headers)
    body = []
    for i, cells in enumerate(rows):
        rid = f' data-row="{esc(row_ids[i])}"' if row_ids else ""
        tds = "".join(
            f'<td{" class=kb-num" if j in numeric else ""} data-label="{esc(headers[j][1])}">'
            f"{c}</td>" for j, c in enumerate(cells))
        body.append(f"<tr{rid}>{tds}</tr>")
    return (f'<table class="kb-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def verdict_html(verdict: Verdict, certainty: str | None = None,
                 settings: Settings | None = None) -> str:
    """The verdict's icon and words (explained on hover), and its certainty."""
    out = f"{esc(verdict.icon)} " + term_html("verdict", verdict.value, settings=settings)
    if certainty:
        out += "<br><small>" + term_html("certainty", certainty,
                                         f"{Certainty(certainty).label} certainty",
                                         settings) + "</small>"
    return out


def legend_items(items: list[tuple[str, str, str]], round_: bool = False) -> str:
    """A wrapping legend below a chart: (colour, label, tooltip) per item."""
    shape = " kb-round" if round_ else ""
    return '<div class="kb-legend">' + "".join(
        f'<span title="{esc(tip)}"><span class="kb-swatch{shape}" '
        f'style="background:{colour}"></span>{esc(label)}</span>'
        for colour, label, tip in items) + "</div>"


def claim_list_html(data: object, claim_ids: list[str], numbered: bool = False,
                    start: int = 1) -> str:
    """Claims as a wrapping list of links: verdict icon and full statement, the id on hover."""
    grades = data.grades  # type: ignore[attr-defined]
    kb = data.kb  # type: ignore[attr-defined]
    statements = {c: (claim.statement if (claim := kb.claim(c)) else c) for c in claim_ids}
    tag = "ol" if numbered else "ul"
    first = f' start="{start}"' if numbered and start != 1 else ""
    items = "".join(
        f"<li>{esc(grades[c].verdict.icon)} {esc(grades[c].verdict.label)} — "
        f'<a href="./claim?{urllib.parse.urlencode({"claim": c})}" target="_self" '
        f'title="claim id {esc(c)}">{esc(statements.get(c, c))}</a></li>'
        for c in claim_ids)
    return f'<{tag} class="kb-claims"{first}>{items}</{tag}>'


_ID_LIKE = re.compile(r"[a-z0-9][a-z0-9-]*-[a-z0-9-]*[a-z0-9]")


def linked_text(data: object, text: str, study_keys: list[str], markdown: bool = False) -> str:
    """Text (a rule's reason, an editor's note) with the study keys and claim ids in it turned
    into links named in words: 'Gattie et al. 2021', a claim's short statement."""
    kb = data.kb  # type: ignore[attr-defined]
    claims = [c for c in set(_ID_LIKE.findall(text)) if kb.claim(c) is not None]
    out = []
    for piece, key in split_on_keys(text, [*study_keys, *claims]):
        if key is None:
            out.append(md_escape(piece) if markdown else esc(piece))
            continue
        if key in claims and key not in study_keys:
            url, label = page_link("claim", claim=key), data.short_statements.get(key, key)  # type: ignore[attr-defined]
            tip = f"claim id {key}"
        else:
            url, label = page_link("studies", study=key), data.study_label(key)  # type: ignore[attr-defined]
            tip = f"study key {key}"
        out.append(f"[{md_escape(label)}]({url})" if markdown else
                   f'<a href="{esc(url)}" target="_self" title="{esc(tip)}">{esc(label)}</a>')
    return "".join(out)


# --- filters that live in the URL --------------------------------------------------------

def from_url(key: str, param: str, options: list[str] | None = None,
             kind: str = "list") -> None:
    """Before a filter widget is drawn: take its value from the URL parameter the first time
    (a shared link, a reload). Streamlit's own binding writes formatted labels into the URL;
    this keeps the codes (`?verdict=limited`)."""
    if key in st.session_state:
        return
    values = st.query_params.get_all(param)
    if options is not None:
        values = [v for v in values if v in options]
    if kind == "list":
        st.session_state[key] = list(dict.fromkeys(values))
    elif kind == "bool":
        st.session_state[key] = bool(values) and values[0].lower() in ("1", "true", "yes")
    elif values:
        st.session_state[key] = values[0]


def to_url(values: dict[str, object]) -> None:
    """After the filters: the URL holds their values (empty ones left out), so the view can
    be shared."""
    for param, value in values.items():
        if isinstance(value, bool):
            value = ["true"] if value else []
        elif isinstance(value, str):
            value = [value] if value else []
        current = st.query_params.get_all(param)
        if list(value) != current:  # type: ignore[arg-type]
            if value:
                st.query_params[param] = list(value)  # type: ignore[arg-type]
            elif param in st.query_params:
                del st.query_params[param]
