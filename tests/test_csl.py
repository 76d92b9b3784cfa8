"""kb.csl: CSL-JSON that Zotero can import."""

from conftest import ROOT
from kb.csl import to_csl_json
from kb.load import load_kb


def test_bundled_bibliography_as_csl() -> None:
    kb, _ = load_kb(str(ROOT))
    items = to_csl_json(list(kb.references.values()))
    assert len(items) == len(kb.references)
    by_id = {i["id"]: i for i in items}
    chys = by_id["chys2023clinical"]
    assert chys["type"] == "article-journal"
    assert chys["author"][0] == {"family": "Chys", "given": "Marjolein"}
    assert chys["issued"] == {"date-parts": [[2023]]}
    assert chys["DOI"] == "10.3390/jcm12031205" and chys["container-title"]
    assert "—" in chys["title"]  # LaTeX '---' decoded
    assert all(i["title"] for i in items)
    assert all("{" not in i["title"] for i in items)
