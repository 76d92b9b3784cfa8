"""Article: the text as published, each claim's words highlighted in its verdict's colour."""

from __future__ import annotations

import streamlit as st

from dashboard.data import Loaded, load
from dashboard.ui import (
    VERDICT_COLOURS,
    claim_list_html,
    esc,
    md_escape,
    page_link,
    term,
    term_html,
)
from kb.glossary import terms_in
from kb.text import safe_url
from kb.model import Verdict


# Long articles are shown in parts so the page stays responsive.
PARAGRAPHS_PER_PAGE = 150


def article_html(data: Loaded, page: int = 1) -> tuple[str, int]:
    """The article as HTML (one page of paragraphs) and the number of pages: every character
    escaped, claims wrapped in links to their page."""
    paragraphs = data.memo("article-paragraphs", lambda: _paragraphs(data))
    pages = max(1, -(-len(paragraphs) // PARAGRAPHS_PER_PAGE))
    part = paragraphs[(page - 1) * PARAGRAPHS_PER_PAGE: page * PARAGRAPHS_PER_PAGE]
    body = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in part)
    return f'<div class="kb-article">{body}</div>', pages


def _paragraphs(data: Loaded) -> list[str]:
    kb = data.kb
    text = kb.article_text or ""
    anchors = data.anchors
    spans = []
    for number, claim in enumerate(kb.claims, start=1):
        found = anchors[claim.quote]
        if found:
            spans.append((found[0].start, found[0].end, number, claim.id))
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end, number, claim_id in spans:
        if start < pos:  # overlapping quotes: the earlier one keeps the shared words
            start = pos
            if start >= end:
                continue
        out.append(esc(text[pos:start]))
        g = data.grades[claim_id]
        colour = VERDICT_COLOURS[g.verdict]
        title = f"{g.verdict.label}: {kb.claim(claim_id).statement}"  # type: ignore[union-attr]
        out.append(
            f'<a class="kb-hl" id="claim-{esc(claim_id)}" href="{esc(page_link("claim", claim=claim_id))}" '
            f'target="_self" style="border-color:{colour};background:{colour}33" '
            f'title="{esc(title)}">{esc(text[start:end])}<sup>{esc(g.verdict.icon)}{number}</sup></a>')
        pos = end
    out.append(esc(text[pos:]))
    return [p for p in "".join(out).split("\n\n") if p.strip()]


def legend_html() -> str:
    items = [f'<span title="{esc(term("verdict", v.value).text)}">'
             f'<span class="kb-swatch" style="background:{VERDICT_COLOURS[v]}"></span>'
             f"{esc(v.icon)} {esc(v.label)}</span>" for v in Verdict]
    return f'<div class="kb-legend">{"".join(items)}</div>'


def text_of(kb) -> str:
    # Long articles: the first part is enough to name the terms a reader meets first.
    return (kb.article_text or "")[:200_000]


def render() -> None:
    data = load()
    kb = data.kb
    if kb.article is None or kb.article_text is None:
        st.error("The article text could not be loaded; see the Check page.")
        return
    st.title(md_escape(kb.article.title))
    meta = [md_escape(kb.article.publisher)]
    if kb.article.retrieved:
        meta.append(f"retrieved {kb.article.retrieved.isoformat()}")
    st.caption(" · ".join(meta))
    if url := safe_url(kb.article.url):
        st.link_button("Original article", url)
    elif kb.article.url_note:
        st.caption(f"Source address: {md_escape(kb.article.url_note)}")
    st.info("Each highlighted passage is a claim; its colour, icon and number show the verdict. "
            "Choose a highlight to open the claim and its evidence.", icon="🔎")
    st.markdown(legend_html(), unsafe_allow_html=True)
    words = data.memo("article-terms", lambda: terms_in(text_of(kb), settings=kb.settings))
    if words:
        st.html('<div class="kb-small">Words explained: ' + ", ".join(
            term_html(e.group, e.key, e.term, kb.settings) for e in words) + "</div>")
    st.divider()
    page = st.session_state.get("art_page", 1)
    html, pages = article_html(data, page)
    if pages > 1:
        st.number_input(f"Part of the article (of {pages})", 1, pages, key="art_page")
    st.html(html)
    st.divider()
    st.subheader("Claims in reading order")
    ids = [c.id for c in kb.claims]
    first = 0
    if pages > 1:  # a long article: the claims of about this part of it
        per_part = -(-len(ids) // pages)
        first = (page - 1) * per_part
        ids = ids[first: first + per_part]
        st.caption(f"Claims {first + 1} to {first + len(ids)} of {len(kb.claims)}, for this "
                   "part of the article.")
    st.html(claim_list_html(data, ids, numbered=True, start=first + 1))
