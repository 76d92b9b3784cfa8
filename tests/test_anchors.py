"""kb.anchors: quotes are found despite typographic differences, and mapped back exactly."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.anchors import ArticleIndex, normalise

TEXT = "He said \u201cvery\u00a0safe\u201d \u2014 it\u2019s   true.\nNext line."


def test_normalise() -> None:
    assert normalise(TEXT) == "He said \"very safe\" - it's true. Next line."


def test_find_maps_back_to_original_offsets() -> None:
    index = ArticleIndex(TEXT)
    [span] = index.find('"very safe" - it\'s true.')
    assert TEXT[span.start:span.end] == "\u201cvery\u00a0safe\u201d \u2014 it\u2019s   true."


def test_missing_quote_names_closest_passage() -> None:
    index = ArticleIndex(TEXT)
    assert index.find("very unsafe") == []
    assert "very safe" in index.closest("it is very safe they said")


def test_ambiguous_quote_finds_every_place() -> None:
    assert len(ArticleIndex("a b a b").find("a b")) == 2
    assert ArticleIndex("abc").find("   ") == []


def test_find_many_agrees_with_find() -> None:
    text = "Alpha beta gamma delta. Gamma delta epsilon zeta, eta theta.\n" * 3 + "xyzquote inside"
    index = ArticleIndex(text)
    quotes = ["Gamma delta epsilon zeta", "beta gamma delta.", "quote inside", "eta",
              "not there at all", "Alpha beta gamma delta. Gamma"]
    assert index.find_many(quotes) == {q: index.find(q) for q in quotes}


ARTICLE = (Path(__file__).resolve().parent.parent / "dry-needling-article.txt").read_text(
    encoding="utf-8")
INDEX = ArticleIndex(ARTICLE)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(ARTICLE) - 1), st.integers(1, 120))
def test_counting_a_quote_agrees_with_find_many(start: int, length: int) -> None:
    quote = ARTICLE[start:start + length]
    assert INDEX.count(quote) == len(INDEX.find_many([quote])[quote])
    assert INDEX.count_many([quote, "quote"]) == {
        q: len(spans) for q, spans in INDEX.find_many([quote, "quote"]).items()}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(
    list("ab. ,'\"-\n\t") + ["  ", "\u00a0", "\u2019", "\u201c", "\u2014", "\u00a8", "\ufb01",
                             "e\u0301", "\x07", "\u2002"]), max_size=40).map("".join))
def test_plain_stretches_normalise_like_run_by_run(text: str) -> None:
    """The shortcut for plain ASCII stretches gives the text and offsets (of every character
    but the spaces, which quotes never start or end with) of normalising run by run."""
    from array import array

    from kb.anchors import _normalise_runs, _normalise_with_map

    out: list[str] = []
    index = array("q")
    _normalise_runs(text, 0, len(text), out, index, False)
    norm, fast = _normalise_with_map(text)
    assert norm == "".join(out)
    assert [i for c, i in zip(norm, fast) if c != " "] == \
        [i for c, i in zip(norm, index) if c != " "]
