"""kb.report: the fact-check report renders every claim, escapes data and stands alone."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from conftest import KB_MIN, ROOT, make_kb
from kb.cli import main
from kb.grading import grade_all
from kb.load import load_kb
from kb.report import ReportMeta, base_version, render_html, render_markdown

META = ReportMeta(generated="2026-11-23", version="abc123def456")


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self.tags.append((tag, dict(attrs)))


def test_html_report_has_every_claim_and_reference() -> None:
    kb, report = load_kb(str(ROOT))
    grades = grade_all(kb, report)
    html = render_html(kb, grades, META)
    for claim in kb.claims:
        assert f'id="{claim.id}"' in html
    cited = {e.study for c in kb.claims for e in c.evidence}
    assert all(f'id="ref-{k}"' in html for k in cited)
    assert "knowledge-base version abc123def456" in html and "2026-11-23" in html
    parser = Collect()
    parser.feed(html)
    tags = {t for t, _ in parser.tags}
    assert "script" not in tags and "img" not in tags and "link" not in tags
    hrefs = [a.get("href") or "" for t, a in parser.tags if t == "a"]
    assert all(h.startswith(("https://", "http://", "#")) for h in hrefs)


def test_markdown_report_has_summary_claims_gaps_references() -> None:
    kb, report = load_kb(str(ROOT))
    md = render_markdown(kb, grade_all(kb, report), META)
    assert md.count("\n### ") == len(kb.claims)
    for section in ("## Summary", "## Claims", "## Evidence gap map", "## References"):
        assert section in md


def test_report_escapes_hostile_text(tmp_path: Path) -> None:
    text = (KB_MIN / "claims.yaml").read_text(encoding="utf-8").replace(
        "statement: Needling is very safe.", "statement: '<script>alert(1)</script>'")
    kb, report = load_kb(str(make_kb(tmp_path, claims=text)))
    html = render_html(kb, grade_all(kb, report), META)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_cli_report_is_reproducible(tmp_path: Path, capsys) -> None:
    out1, out2 = tmp_path / "a.html", tmp_path / "b.html"
    assert main(["report", "--kb", str(KB_MIN), "--format", "html", "--date", "2026-01-01",
                 "-o", str(out1)]) == 0
    assert main(["report", "--kb", str(KB_MIN), "--format", "html", "--date", "2026-01-01",
                 "-o", str(out2)]) == 0
    assert out1.read_bytes() == out2.read_bytes()
    assert re.search(r"knowledge-base version [0-9a-f]{12}", out1.read_text(encoding="utf-8"))


def test_base_version_changes_with_content() -> None:
    assert base_version(b"a", b"b") != base_version(b"a", b"c")
    assert base_version(b"a", b"b") == base_version(b"a", b"b")
