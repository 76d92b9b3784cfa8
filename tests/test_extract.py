"""kb.extract: claim stubs from an article, measured on the bundled article."""

import yaml

from conftest import ROOT
from kb.cli import main
from kb.extract import propose, reasons_for, recall, sentences, to_yaml
from kb.load import load_kb


def test_debris_is_not_proposed() -> None:
    text = (ROOT / "dry-needling-article.txt").read_text(encoding="utf-8")
    proposed = [p.sentence for p in propose(text, include_covered=True)]
    assert not any("Scroll to Top" in s or "Med24" in s or "Your go-to" in s for s in proposed)
    assert "Dry Needling Explained: A Modern Approach to Pain Relief and Muscle Recovery" not in proposed


def test_recall_on_the_bundled_article() -> None:
    kb, _ = load_kb(str(ROOT))
    result = recall(kb.article_text or "", [c.quote for c in kb.claims])
    assert result["recall"] >= 0.9
    assert result["proposals_not_claims"] <= 2


def test_covered_sentences_are_skipped() -> None:
    kb, _ = load_kb(str(ROOT))
    assert propose(kb.article_text or "", [c.quote for c in kb.claims]) == []


def test_stubs_are_yaml_an_editor_can_paste() -> None:
    text = "Studies show that needling cures 90% of back pain. Hello there.\n"
    stubs = yaml.safe_load(to_yaml(propose(text)))
    [claim] = stubs["claims"]
    assert claim["quote"] == "Studies show that needling cures 90% of back pain."
    assert reasons_for("Hello there friend of mine.") == ()


def test_segmenter_keeps_sentences() -> None:
    assert sentences("One is here. Two is there.\n\nThree.") == ["One is here.", "Two is there.",
                                                                  "Three."]


def test_cli_extract(tmp_path, capsys) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Acupuncture is safer than surgery for 80% of people.\n", encoding="utf-8")
    assert main(["extract", str(article), "--kb", str(tmp_path)]) == 0
    assert "safer than surgery" in capsys.readouterr().out
