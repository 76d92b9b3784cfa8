"""The dashboard's wiring (AppTest): every page renders the bundled base, deep links land on
the right page, unknown ids and a broken base give messages instead of tracebacks, readers
meet words rather than ids."""

from __future__ import annotations

import html
import importlib
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import BROKEN, ROOT, make_kb

APP = str(ROOT / "app.py")


def page_script(page: str) -> None:
    import importlib

    importlib.import_module(f"dashboard.{page}").render()


def run_app(monkeypatch: pytest.MonkeyPatch, kb_dir: Path | str = ROOT, **params: str) -> AppTest:
    monkeypatch.setenv("KB_DIR", str(kb_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def run_page(monkeypatch: pytest.MonkeyPatch, page: str, kb_dir: Path | str = ROOT,
             **params: str) -> AppTest:
    monkeypatch.setenv("KB_DIR", str(kb_dir))
    at = AppTest.from_function(page_script, kwargs={"page": page}, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table_rows(at: AppTest) -> list[str]:
    """Row ids (claim ids, study keys) of the HTML tables the page drew, in order."""
    return [html.unescape(r) for body in html_blocks(at)
            for r in re.findall(r'<tr data-row="([^"]*)"', body)]


def html_blocks(at: AppTest) -> list[str]:
    """The HTML the page drew with st.html (tables, lists)."""
    return [e.proto.body for e in at.get("html")]


def visible_text(at: AppTest) -> str:
    """What a reader sees of the page's HTML and Markdown: tags and tooltips removed."""
    raw = texts(at) + "\n" + "\n".join(s.format_func(s.value) for s in at.selectbox)
    raw += "\n" + "\n".join(html_blocks(at))
    raw = re.sub(r'title="[^"]*"|data-row="[^"]*"|href="[^"]*"|id="[^"]*"', "", raw)
    raw = re.sub(r"<small>.*?</small>", "", raw)  # ids sit in small print on purpose
    raw = re.sub(r"\]\([^)]*\)", "]", raw)  # Markdown link targets
    return html.unescape(re.sub(r"<[^>]+>", " ", raw))


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(x.value) for x in (*at.title, *at.subheader, *at.warning, *at.error, *at.info,
                                     *at.success)]
    return "\n".join(parts)


def verdict_counts(at: AppTest) -> dict[str, int]:
    """The verdict filter's options read as counts ("Limited evidence · 11"; the icon is
    drawn apart)."""
    pills = at.button_group(key="ov_verdict")
    out = {}
    for option in pills.options:
        label, _, count = option.rpartition(" · ")
        out[label] = int(count)
    return out


def test_overview_counts_and_table(monkeypatch) -> None:
    from kb.grading import grade_all
    from kb.load import load_kb

    at = run_app(monkeypatch)
    assert at.title[0].value == "What does the evidence say?"
    kb, report = load_kb(str(ROOT))
    grades = grade_all(kb, report)
    counts = verdict_counts(at)
    supported = sum(g.verdict.value == "supported" for g in grades.values())
    assert counts["Supported"] == supported
    lacking = sum(g.lacking_long_term for g in grades.values())
    assert at.toggle(key="ov_lacking").label.endswith(f"({lacking})")
    assert table_rows(at) == [c.id for c in kb.claims]
    assert f"Claims ({len(kb.claims)} of {len(kb.claims)})" in texts(at)


def test_overview_filters(monkeypatch) -> None:
    from kb.grading import grade_all
    from kb.load import load_kb

    kb, report = load_kb(str(ROOT))
    grades = grade_all(kb, report)
    at = run_app(monkeypatch)
    at.text_input(key="ov_search").input("lidocaine").run()
    assert table_rows(at) == ["as-effective-as-lidocaine"]
    at.text_input(key="ov_search").input("").run()
    at.toggle(key="ov_lacking").set_value(True).run()
    assert table_rows(at) == [c for c, g in grades.items() if g.lacking_long_term]
    at.toggle(key="ov_lacking").set_value(False).run()
    at.button_group(key="ov_verdict").set_value(["limited"]).run()
    limited = [c for c, g in grades.items() if g.verdict.value == "limited"]
    assert table_rows(at) == limited
    assert f"Claims ({len(limited)} of {len(grades)})" in texts(at)
    assert at.query_params["verdict"] in ("limited", ["limited"])


def test_overview_filters_come_from_the_url(monkeypatch) -> None:
    from kb.grading import grade_all
    from kb.load import load_kb

    kb, report = load_kb(str(ROOT))
    grades = grade_all(kb, report)
    at = run_app(monkeypatch, verdict="limited", kind="efficacy")
    wanted = [c.id for c in kb.claims
              if grades[c.id].verdict.value == "limited" and c.kind.value == "efficacy"]
    assert wanted and table_rows(at) == wanted
    assert at.button_group(key="ov_verdict").value == ["limited"]


def test_words_not_ids_where_people_read(monkeypatch) -> None:
    """Claims are named by their statements and studies by author and year; ids appear only
    in small print, tooltips and links."""
    from kb.load import load_kb

    kb, _ = load_kb(str(ROOT))
    claim_ids = [c.id for c in kb.claims if "-" in c.id]  # ids that are not also plain words
    study_keys = [k for c in kb.claims for e in c.evidence for k in [e.study]]
    for page, params in (("overview", {}), ("claim", {"claim": "very-safe"}),
                         ("studies", {"study": "gattie2021dry"}), ("gaps", {}),
                         ("article", {}), ("graph", {})):
        at = run_page(monkeypatch, page, **params)
        shown = visible_text(at)
        leaked = [i for i in claim_ids if i in shown and i != params.get("claim")]
        leaked += [k for k in set(study_keys) if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", shown)
                   and k != params.get("study")]
        assert not leaked, (page, leaked[:5])
    at = run_page(monkeypatch, "claim", claim="very-safe")
    picker = at.selectbox[0]
    assert picker.value == "very-safe"
    assert "Dry needling is very safe." in picker.format_func(picker.value)


def test_why_links_every_study(monkeypatch) -> None:
    from kb.grading import grade_all
    from kb.load import load_kb

    kb, report = load_kb(str(ROOT))
    grades = grade_all(kb, report)
    cid, g = max(grades.items(), key=lambda item: len({d.study for d in item[1].drivers}))
    assert len({d.study for d in g.drivers}) > 4  # the old reason stopped at "and N more"
    at = run_page(monkeypatch, "claim", claim=cid)
    why = next(m.value for m in at.markdown if m.value.startswith("**Why:**"))
    assert not re.search(r"and \d+ more", why)
    for key in {d.study for d in g.drivers}:
        assert f"study={key})" in why


@pytest.mark.parametrize("page", ["overview", "article", "claim", "studies", "graph", "gaps",
                                  "glossary", "check"])
def test_every_page_renders(monkeypatch, page: str) -> None:
    at = run_page(monkeypatch, page)
    assert at.title


def test_deep_link_to_claim(monkeypatch) -> None:
    at = run_app(monkeypatch, claim="as-effective-as-lidocaine")
    assert at.title[0].value.startswith("Dry needling can be as effective as lidocaine")
    body = texts(at)
    assert "Computed verdict" in body and "Why:" in body
    assert at.selectbox[0].value == "as-effective-as-lidocaine"
    claim = importlib.import_module("kb.load").load_kb(str(ROOT))[0].claim(
        "as-effective-as-lidocaine")
    assert table_rows(at) == [e.study for e in claim.evidence]


def test_deep_link_to_study(monkeypatch) -> None:
    at = run_app(monkeypatch, study="gattie2021dry")
    body = texts(at)
    # The study opens first (its name as the title), the list of every study below it.
    assert at.title[0].value.replace("\\", "") == "Gattie et al. 2021" and "Verified at" in body
    assert any(h.value == "All studies" for h in at.header)
    assert "Impact: verdicts without this study" in body


def test_unknown_ids_say_so_and_show_nothing_else(monkeypatch) -> None:
    at = run_app(monkeypatch, claim="nope")
    assert "There is no claim with id “nope”" in texts(at)
    assert at.title[0].value == "Claim not found" and not at.selectbox
    assert "Computed verdict" not in texts(at)
    at = run_app(monkeypatch, study="nope")
    assert "There is no study with key “nope”" in texts(at)
    assert not at.dataframe and "Verified at" not in texts(at)
    assert "There is no node “nope”" in texts(run_app(monkeypatch, node="nope"))


def test_broken_base_shows_check_page_and_what_loads(monkeypatch, tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path, claims=BROKEN / "unknown_study.claims.yaml")
    at = run_app(monkeypatch, kb_dir)
    assert any("problems in the knowledge base" in e.value for e in at.error)
    at = run_page(monkeypatch, "check", kb_dir)
    assert "claim-unknown-study" in at.code[0].value
    at = run_page(monkeypatch, "overview", kb_dir)
    assert verdict_counts(at)["Not graded"] >= 1
    assert "Not graded" in visible_text(at)


def test_unloadable_base_opens_check(monkeypatch, tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path, claims=BROKEN / "yaml_syntax.claims.yaml")
    at = run_app(monkeypatch, kb_dir)
    assert at.title[0].value == "Check"
    assert "yaml-syntax" in at.code[0].value


def test_edit_is_seen_on_rerun(monkeypatch, tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path)
    at = run_page(monkeypatch, "overview", kb_dir)
    assert "Needling is very safe." in visible_text(at)
    path = kb_dir / "claims.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "statement: Needling is very safe.", "statement: Needling is quite safe."),
        encoding="utf-8")
    at.run()
    assert "Needling is quite safe." in visible_text(at)


def test_pages_never_import_each_other_or_the_router() -> None:
    """app.py imports the pages; no module of dashboard/ imports a page or app.py, so the
    import drawing has no circle (links between pages go through dashboard.links)."""
    import ast

    router = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    pages = {alias.name for node in ast.walk(router) if isinstance(node, ast.ImportFrom)
             and node.module == "dashboard" for alias in node.names} - {"links"}
    assert {"overview", "claim", "glossary"} <= pages
    for path in sorted((ROOT / "dashboard").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "dashboard":
                    imported |= {a.name for a in node.names}
                elif node.module.startswith("dashboard."):
                    imported.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                imported |= {a.name.split(".")[1] for a in node.names
                             if a.name.startswith("dashboard.")}
        assert not imported & pages, (path.name, imported & pages)
        assert "app" not in imported


def test_claim_page_summary_of_findings_and_forest_plot(monkeypatch) -> None:
    import json

    from conftest import FIXTURES

    at = run_page(monkeypatch, "claim", FIXTURES / "kb_sof", claim="short-term-pain")
    assert "Summary of findings" in [s.value for s in at.subheader]
    sof = next(b for b in html_blocks(at) if ">Outcome</th>" in b)
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", sof)
    assert headers == ["Outcome", "№ of participants (studies)", "Certainty",
                       "Effect (95% CI)", "Follow-up", "What happens"]
    first_row = re.findall(r"<td[^>]*>([^<]*)</td>", sof.split("<tbody>")[1].split("</tr>")[0])
    assert html.unescape(first_row[1]) == "320 (2 studies; 1 more within a review)"
    assert html.unescape(first_row[2]).startswith("⊕⊕⊕◯ MODERATE [1]")
    assert "Assessors were not blinded" in texts(at)
    assert "not a systematic review" in texts(at)
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    forest = [s for s in specs if "diamond" in json.dumps(s)]
    assert len(forest) == 1
    rows = forest[0]["layer"][0]["encoding"]["y"]["sort"]
    assert rows[:3] == ["Gamma 2021", "Alpha & Beta 2020", "Beta 2022"]  # studies in words
    assert rows[3].startswith("Pooled, I² ") and rows[3].endswith("(exploratory)")


def test_summary_of_findings_only_for_effect_claims(monkeypatch) -> None:
    from conftest import FIXTURES

    at = run_page(monkeypatch, "claim", FIXTURES / "kb_sof", claim="long-term-unknown")
    assert "Summary of findings" not in [s.value for s in at.subheader]
    at = run_page(monkeypatch, "claim", FIXTURES / "kb_sof", claim="very-safe")
    assert "Summary of findings" in [s.value for s in at.subheader]
    assert not any("diamond" in c.proto.spec for c in at.get("vega_lite_chart"))
