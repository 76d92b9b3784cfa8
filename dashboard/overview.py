"""Overview: the editor's triage board. One click per verdict filters the claims; every filter
lives in the URL (`?verdict=limited&kind=efficacy`), so a view can be shared."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pandas as pd
import streamlit as st

from dashboard import links
from dashboard.data import Loaded, fingerprint, kb_dir, load
from dashboard.ui import (
    LONG_TERM_ICON,
    from_url,
    to_url,
    esc,
    html_link,
    html_table,
    kind_label,
    linked_text,
    md_escape,
    term_help,
    term_html,
    verdict_html,
)
from dashboard.versions import since_revision_panel
from kb.model import Certainty, ClaimKind, LongTerm, Verdict
from kb.report import ReportMeta, render_html

PAGE_SIZE = 50
VERDICTS = [Verdict.SUPPORTED, Verdict.LIMITED, Verdict.MIXED, Verdict.CONTRADICTED,
            Verdict.NO_EVIDENCE, Verdict.NOT_CHECKABLE, Verdict.NOT_GRADED]


CSV_COLUMNS = ["id", "statement", "quote", "kind", "verdict", "certainty", "lacking_long_term",
               "long_term", "rule", "reason", "plain_language", "studies", "supports", "refutes", "mixed",
               "context"]


def _filters(rows: list[dict], settings) -> list[dict]:
    """The filter widgets (each bound to a URL parameter) and the rows they keep."""
    counts = Counter(r["verdict"] for r in rows)
    shown = [v.value for v in VERDICTS
             if counts.get(v.value, 0) or v is not Verdict.NOT_GRADED]
    meanings = "\n".join(f"- {term_help('verdict', v)}" for v in shown)
    from_url("ov_verdict", "verdict", shown)
    verdicts = st.pills(
        "Verdict (choose one or more to filter the table)", shown, selection_mode="multi",
        key="ov_verdict",
        format_func=lambda v: f"{Verdict(v).icon} {Verdict(v).label} · {int(counts.get(v, 0))}",
        help=meanings)
    lacking = sum(r["lacking_long_term"] for r in rows)
    from_url("ov_lacking", "lacking", kind="bool")
    only_lacking = st.toggle(f"{LONG_TERM_ICON} Only claims lacking long-term trials ({lacking})",
                             key="ov_lacking",
                             help=term_help("term", "lacking-long-term", settings))
    with st.container(border=True):
        f1, f2, f3 = st.columns(3)
        present = {r["kind"] for r in rows if r["kind"]}
        kind_options = [k.value for k in ClaimKind if k.value in present]
        from_url("ov_kind", "kind", kind_options)
        kinds = f1.multiselect("Kind of claim", kind_options, key="ov_kind",
                               format_func=kind_label,
                               help="\n".join(f"- {term_help('kind', k)}" for k in sorted(present)))
        cert_options = [c.value for c in Certainty]
        from_url("ov_certainty", "certainty", cert_options)
        certs = f2.multiselect("Certainty", cert_options, key="ov_certainty",
                               format_func=lambda c: Certainty(c).label,
                               help=term_help("certainty", "grade"))
        from_url("ov_search", "q", kind="text")
        query = f3.text_input("Search claims", key="ov_search",
                              placeholder="words from the quote or the statement")
    to_url({"verdict": verdicts, "kind": kinds, "certainty": certs, "q": query,
            "lacking": only_lacking})
    needle = query.lower()

    def keep(r: dict) -> bool:
        return ((not verdicts or r["verdict"] in verdicts)
                and (not kinds or r["kind"] in kinds)
                and (not certs or r["certainty"] in certs)
                and (not only_lacking or r["lacking_long_term"])
                and (not needle or any(needle in r[c].lower()
                                       for c in ("quote", "statement", "id"))))

    view = [r for r in rows if keep(r)]
    return view


def claims_table(rows: list[dict], data: Loaded) -> str:
    """The triage table: words first (statement, verdict, rule), ids in small print."""
    settings = data.kb.settings
    headers = [("Claim", "Claim"), (term_html("term", "verdict", "Verdict", settings), "Verdict"),
               (term_html("term", "rule", "Rule", settings), "Rule"),
               (term_html("term", "reason", "Reason", settings), "Reason"),
               ("Studies", "Studies")]
    cells = []
    for r in rows:
        claim = (html_link(links.url("claim", claim=r["id"]), r["statement"])
                 + f"<br><small>{esc(kind_label(r['kind']))} · id {esc(r['id'])}</small>")
        verdict = verdict_html(Verdict(r["verdict"]), r["certainty"], settings)
        # The long-term flag in words for every claim ('n/a' never reads as 'no').
        flag = LongTerm(r["long_term"])
        shown = (f"{LONG_TERM_ICON} lacking long-term trials" if flag is LongTerm.LACKING
                 else f"long-term: {flag.label}")
        verdict += ("<br><small>" + term_html("term", "lacking-long-term", shown, settings)
                    + "</small>")
        if r["override"]:
            o = Verdict(r["override"]["verdict"])
            verdict += f"<br><small>Editor: {esc(o.icon)} {esc(o.label)}</small>"
        rule = term_html("rule", r["rule"], settings=settings)
        reason = linked_text(data, r["reason"].removeprefix(f"{r['rule']}: "),
                             [e["study"] for e in r["evidence"]])
        studies = (f"{r['studies']}<br><small>{r['supports']} for · {r['refutes']} against"
                   f" · {r['mixed']} mixed</small>")
        cells.append([claim, verdict, rule, reason, studies])
    return html_table(headers, cells, numeric=frozenset({4}), row_ids=[r["id"] for r in rows],
                      widths=[30, 14, 11, 36, 9])


def render() -> None:
    data = load()
    kb = data.kb
    title = kb.article.title if kb.article else "Knowledge base"
    st.title("What does the evidence say?")
    st.caption(f"Fact-check of “{md_escape(title)}”"
               + (f" ({md_escape(kb.article.publisher)})" if kb.article else "")
               + f" · {len(kb.claims)} claims · {len(kb.references)} studies · "
               "underlined words explain themselves on hover and link to the glossary")
    if not data.report.valid:
        st.error(f"The knowledge base has {len(data.report.errors)} errors; some claims are "
                 "not graded. See the Check page.", icon="⚠️")
    rows = data.claim_rows
    if not rows:
        st.info("No claims to show yet.")
        return
    view = _filters(rows, kb.settings)
    st.subheader(f"Claims ({len(view)} of {len(rows)})")
    pages = max(1, -(-len(view) // PAGE_SIZE))
    page = 1
    if pages > 1:
        page = st.number_input(f"Page (of {pages}, {PAGE_SIZE} claims each)", 1, pages, 1,
                               key="ov_page")
    part = view[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    if not part:
        st.info("No claim matches these filters.")
    else:
        st.html(claims_table(part, data))
    c1, c2 = st.columns(2)
    with c1:
        # Built only when pressed: 20,000 rows cost nothing until then.
        st.download_button("Download these claims (CSV)",
                           lambda: pd.DataFrame(view, columns=CSV_COLUMNS).to_csv(index=False)
                           .encode("utf-8"), file_name="claims.csv", mime="text/csv",
                           key="ov_download")
    with c2:
        st.download_button("Download the fact-check report (HTML)", lambda: report_html(data),
                           file_name="fact-check.html", mime="text/html", key="ov_report")
    since_revision_panel(data)


def report_html(data: Loaded) -> str:
    meta = ReportMeta(generated=dt.date.today().isoformat(), version=fingerprint(kb_dir())[:12])
    return render_html(data.kb, data.grades, meta)

