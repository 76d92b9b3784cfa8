"""kb.text: LaTeX decoding for display, citations, safe links."""

import pytest

from kb.model import Reference
from kb.text import display, doi_url, full_citation, pubmed_url, safe_url, short_citation


@pytest.mark.parametrize(("raw", "shown"), [
    (r"Fern{\'a}ndez-de-las-Pe{\~n}as", "Fernández-de-las-Peñas"),
    (r"M{\"u}ller and \"{O}zt{\"u}rk", "Müller and Öztürk"),
    (r"Fran{\c{c}}ois \v{S}imon {\ss} {\o} \aa", "François Šimon ß ø å"),
    (r"Pain---An Umbrella Review, pages 1--9", "Pain—An Umbrella Review, pages 1–9"),
    (r"Bodywork \& Movement {GRADE} 50\%", "Bodywork & Movement GRADE 50%"),
    (r"\'{\i}ndice", "índice"),
    (r"\textit{in vivo} study", "in vivo study"),
    ("plain text", "plain text"),
    (r"broken {\'e", "broken é"),
])
def test_display(raw: str, shown: str) -> None:
    assert display(raw) == shown


def test_links_only_for_safe_targets() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,<b>x</b>") is None
    assert safe_url("https://example.org/a b") is None
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert doi_url("10.2519/jospt.2017.7096") == "https://doi.org/10.2519/jospt.2017.7096"
    assert doi_url("javascript:alert(1)") is None
    assert pubmed_url("28158962") == "https://pubmed.ncbi.nlm.nih.gov/28158962/"
    assert pubmed_url("28158962 or 1") is None


def test_citations() -> None:
    ref = Reference("k", "article", {"author": "Gattie, Eric and Cleland, Joshua A. and Snodgrass, Suzanne",
                                     "title": "A title", "journal": "J", "year": "2017",
                                     "volume": "47", "number": "3", "pages": "133--149"}, 1)
    assert short_citation(ref) == "Gattie et al. 2017"
    assert full_citation(ref) == "Gattie E, Cleland JA, Snodgrass S. A title. J 2017;47(3):133–149."
    two = Reference("k", "article", {"author": "Ong, Joshua and Claydon, Leica S.", "year": "2014",
                                     "title": "T"}, 1)
    assert short_citation(two) == "Ong & Claydon 2014"
