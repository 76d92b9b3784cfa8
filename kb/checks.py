"""Cross-file checks: claims against the bibliography, appraisals and the article text.

Each check is a small generator over a loaded `KnowledgeBase` that yields `Problem`s, so one
pass collects every problem. `CHECKS` lists them in the order they run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from kb.anchors import index_for, sha256_text
from kb.model import (
    QUALITY_RATINGS,
    Effect,
    EffectMeasure,
    KnowledgeBase,
    ReviewStatus,
    expected_certainty,
)
from kb.problems import Problem, error, warning

Check = Callable[[KnowledgeBase], Iterator[Problem]]
# Up to this many quotes are looked up one by one rather than through a word index.
FEW_QUOTES = 8


def check_claim_ids(kb: KnowledgeBase) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for idx, c in kb.claims_with_index():
        path = f"claims[{idx}].id"
        if c.id in first:
            yield error("claim-duplicate-id", kb.claims_file, kb.line_of(path),
                        f"claim id '{c.id}' is already used at line {first[c.id]}",
                        "give every claim its own id; ids are used in links and URLs", path=path)
        else:
            first[c.id] = kb.line_of(path) or 0


def check_evidence_links(kb: KnowledgeBase) -> Iterator[Problem]:
    for idx, claim in kb.claims_with_index():
        seen: Counter[str] = Counter()
        for j, link in enumerate(claim.evidence):
            seen[link.study] += 1
            known = link.study in kb.references
            if seen[link.study] < 2 and known and (link.study in kb.studies
                                                   or link.study in kb.invalid_studies):
                continue  # the usual case: no problem, so no line to look up
            path = f"claims[{idx}].evidence[{j}].study"
            line = kb.line_of(path)
            if seen[link.study] == 2:
                yield warning("link-duplicate", kb.claims_file, line,
                              f"claim '{claim.id}' links study '{link.study}' more than once",
                              "merge the links unless they speak to different outcomes",
                              path=path)
            if link.study not in kb.references:
                yield error("claim-unknown-study", kb.claims_file, line,
                            f"study '{link.study}' is not in {kb.bib_file}",
                            _did_you_mean(link.study, kb.references) or
                            f"add the entry to {kb.bib_file} or fix the key", path=path)
            elif link.study not in kb.studies and link.study not in kb.invalid_studies:
                yield error("claim-study-not-appraised", kb.claims_file, line,
                            f"study '{link.study}' has no appraisal under 'studies:'",
                            f"add 'studies: {link.study}:' with its design and verification",
                            path=path)


def check_studies(kb: KnowledgeBase) -> Iterator[Problem]:
    cited = {link.study for c in kb.claims for link in c.evidence}
    included = {k for a in kb.studies.values() for k in a.includes}
    for key, appraisal in kb.studies.items():
        path = f"studies.{key}"
        line = kb.line_of(path)
        if key not in kb.references:
            yield error("study-unknown-reference", kb.claims_file, line,
                        f"appraised study '{key}' is not in {kb.bib_file}",
                        _did_you_mean(key, kb.references) or
                        f"add the entry to {kb.bib_file} or fix the key", path=path)
        if key not in cited and key not in included:
            yield warning("study-unused", kb.claims_file, line,
                          f"study '{key}' is appraised but no claim cites it",
                          "link it from a claim's evidence, or remove the appraisal", path=path)
        for j, inc in enumerate(appraisal.includes):
            inc_path = f"{path}.includes[{j}]"
            if inc not in kb.references:
                yield error("review-includes-unknown", kb.claims_file, kb.line_of(inc_path),
                            f"review '{key}' includes '{inc}', which is not in {kb.bib_file}",
                            _did_you_mean(inc, kb.references) or
                            "list only included studies that are in the bibliography",
                            path=inc_path)
            elif inc == key:
                yield error("review-includes-itself", kb.claims_file, kb.line_of(inc_path),
                            f"review '{key}' lists itself as included", "remove it",
                            path=inc_path)
        if appraisal.includes and not appraisal.design.is_review:
            yield warning("includes-not-review", kb.claims_file, kb.line_of(f"{path}.includes"),
                          f"'{key}' is a {appraisal.design.value} but lists included studies",
                          "only systematic and umbrella reviews include studies", path=path)
        if appraisal.quality and appraisal.quality.tool in QUALITY_RATINGS:
            allowed = QUALITY_RATINGS[appraisal.quality.tool]
            if appraisal.quality.rating.lower() not in allowed:
                q_path = f"{path}.quality.rating"
                yield error("schema-vocabulary", kb.claims_file, kb.line_of(q_path),
                            f"'{appraisal.quality.rating}' is not a "
                            f"{appraisal.quality.tool.value} rating",
                            "use one of: " + ", ".join(allowed), path=q_path)
    for key, ref in kb.references.items():
        if key not in kb.studies and key not in cited:
            yield warning("reference-unused", kb.bib_file, ref.line,
                          f"'{key}' is in the bibliography but no claim cites it",
                          "cite it from a claim, or remove it from the bibliography", path=key)


def check_quotes(kb: KnowledgeBase) -> Iterator[Problem]:
    if kb.article_text is None:
        return
    index = index_for(kb.article_text)
    if len(kb.claims) <= FEW_QUOTES:  # a few edited claims: no need to index every word
        found = {c.quote: index.count(c.quote) for c in kb.claims}
    else:
        found = {q: len(s) for q, s in index.find_many(c.quote for c in kb.claims).items()}
    for idx, claim in kb.claims_with_index():
        path = f"claims[{idx}].quote"
        spans = found[claim.quote]
        if not spans:
            near = index.closest(claim.quote)
            yield error("claim-quote-not-found", kb.claims_file, kb.line_of(path),
                        f"the quote of claim '{claim.id}' is not in the article text",
                        f"copy the article's exact words; closest passage: \"{near}\"",
                        path=path)
        elif spans > 1:
            yield warning("claim-quote-ambiguous", kb.claims_file, kb.line_of(path),
                          f"the quote of claim '{claim.id}' occurs {spans} times",
                          "quote a longer passage so it anchors to one place", path=path)


def check_article(kb: KnowledgeBase) -> Iterator[Problem]:
    if kb.article is None or kb.article_text is None:
        return
    path = "article.sha256"
    actual = sha256_text(kb.article_text)
    if kb.article.sha256 is None:
        yield warning("article-unhashed", kb.claims_file, kb.line_of("article"),
                      "the article text has no recorded hash, so later edits go unnoticed",
                      f"add 'sha256: {actual}' under article:", path=path)
    elif kb.article.sha256 != actual:
        found = index_for(kb.article_text).find_many(c.quote for c in kb.claims)
        held = [c.id for c in kb.claims if found[c.quote]]
        broke = [c.id for c in kb.claims if not found[c.quote]]
        yield error("article-changed", kb.claims_file, kb.line_of(path),
                    f"{kb.article.text} changed since it was reviewed; anchors that still hold: "
                    f"{len(held)} ({', '.join(held) or 'none'}); broken: {len(broke)} "
                    f"({', '.join(broke) or 'none'})",
                    f"re-check the claims against the new text, then set sha256: {actual}",
                    path=path)


def check_reviews(kb: KnowledgeBase) -> Iterator[Problem]:
    for idx, claim in kb.claims_with_index():
        path = f"claims[{idx}].review"
        review = claim.review
        if review.override and not (review.override.rationale or "").strip():
            yield error("override-no-rationale", kb.claims_file,
                        kb.line_of(f"{path}.override"),
                        f"the verdict override of claim '{claim.id}' has no rationale",
                        "add 'rationale:' saying why the editor overrides the computed verdict",
                        path=f"{path}.override")
        if review.status is ReviewStatus.REVIEWED and not (review.reviewer and review.date):
            yield warning("review-incomplete", kb.claims_file, kb.line_of(path),
                          f"claim '{claim.id}' is marked reviewed without reviewer and date",
                          "add 'reviewer:' and 'date:'", path=path)
        if not claim.checkable and not claim.not_checkable_reason:
            yield warning("claim-not-checkable-reason", kb.claims_file,
                          kb.line_of(f"claims[{idx}].checkable"),
                          f"claim '{claim.id}' is not checkable but gives no reason",
                          "add 'not_checkable_reason:'", path=f"claims[{idx}]")
        if claim.checkable and not claim.evidence:
            yield warning("claim-no-evidence", kb.claims_file, kb.line_of(f"claims[{idx}]"),
                          f"checkable claim '{claim.id}' has no evidence links",
                          "link the studies that bear on it, or mark it not checkable",
                          path=f"claims[{idx}]")


def check_effects(kb: KnowledgeBase) -> Iterator[Problem]:
    """GRADE fields of each link: certainty against design and domains, effect numbers."""
    for idx, claim in kb.claims_with_index():
        for j, link in enumerate(claim.evidence):
            base = f"claims[{idx}].evidence[{j}]"
            appraisal = kb.studies.get(link.study)
            expected = None if appraisal is None else expected_certainty(appraisal.design, link)
            if expected is not None and expected is not link.certainty:
                moves = [f"-{d.level.steps} {d.domain.value}" for d in link.downgrades]
                moves += [f"+{u.level.steps} {u.domain.value}" for u in link.upgrades]
                yield warning(
                    "certainty-inconsistent", kb.claims_file, kb.line_of(f"{base}.certainty"),
                    f"claim '{claim.id}', link to '{link.study}': certainty "
                    f"'{link.certainty.value}' but a {appraisal.design.value} "  # type: ignore[union-attr]
                    f"({', '.join(moves) or 'no downgrades'}) gives '{expected.value}'",
                    "set the certainty GRADE gives, or list the downgrades/upgrades that "
                    "explain it", path=f"{base}.certainty")
            if link.effect is not None:
                yield from _effect_problems(kb, claim.id, link.study, link.effect, f"{base}.effect")


def _effect_problems(kb: KnowledgeBase, claim_id: str, study: str, effect: Effect,
                     path: str) -> Iterator[Problem]:
    where = f"claim '{claim_id}', link to '{study}'"
    if effect.measure is EffectMeasure.NARRATIVE:
        if not (effect.text or "").strip():
            yield error("effect-narrative-no-text", kb.claims_file, kb.line_of(path),
                        f"{where}: a narrative effect without 'text'",
                        "say the finding in your own words under 'text:'", path=path)
        return
    if effect.value is None:
        yield error("effect-no-value", kb.claims_file, kb.line_of(path),
                    f"{where}: a {effect.measure.value} effect without 'value'",
                    "give the point estimate read in the record, or use measure: narrative "
                    "with 'text'", path=path)
    numbers = [(n, v) for n, v in (("ci_low", effect.ci_low), ("value", effect.value),
                                   ("ci_high", effect.ci_high)) if v is not None]
    if effect.measure.is_ratio and any(v <= 0 for _, v in numbers):
        yield error("effect-ratio-not-positive", kb.claims_file, kb.line_of(path),
                    f"{where}: a {effect.measure.value} must be above 0",
                    "ratios are positive; check the sign or the measure", path=path)
    if any(a[1] > b[1] for a, b in zip(numbers, numbers[1:])):
        shown = ", ".join(f"{n} {v:g}" for n, v in numbers)
        yield error("effect-interval-order", kb.claims_file, kb.line_of(path),
                    f"{where}: expected ci_low <= value <= ci_high, got {shown}",
                    "check the numbers against the record", path=path)
    if (effect.ci_low is None) != (effect.ci_high is None):
        yield warning("effect-interval-incomplete", kb.claims_file, kb.line_of(path),
                      f"{where}: only one bound of the confidence interval is given",
                      "give both ci_low and ci_high, or neither", path=path)


def _did_you_mean(key: str, known: object) -> str:
    import difflib

    match = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)  # type: ignore[call-overload]
    return f"did you mean '{match[0]}'?" if match else ""


CHECKS: tuple[Check, ...] = (
    check_claim_ids,
    check_evidence_links,
    check_studies,
    check_quotes,
    check_article,
    check_reviews,
    check_effects,
)


# The codes each check can yield, and the checks whose problems concern one claim alone (so
# an edit of one claim is checked again by running them on that claim: see `kb.cache`).
CODES: dict[Check, tuple[str, ...]] = {
    check_claim_ids: ("claim-duplicate-id",),
    check_evidence_links: ("link-duplicate", "claim-unknown-study", "claim-study-not-appraised"),
    check_studies: ("study-unknown-reference", "study-unused", "review-includes-unknown",
                    "review-includes-itself", "includes-not-review", "schema-vocabulary",
                    "reference-unused"),
    check_quotes: ("claim-quote-not-found", "claim-quote-ambiguous"),
    check_article: ("article-unhashed", "article-changed"),
    check_reviews: ("override-no-rationale", "review-incomplete", "claim-not-checkable-reason",
                    "claim-no-evidence"),
    check_effects: ("certainty-inconsistent", "effect-narrative-no-text", "effect-no-value",
                    "effect-ratio-not-positive", "effect-interval-order",
                    "effect-interval-incomplete"),
}
PER_CLAIM: tuple[Check, ...] = (check_evidence_links, check_quotes, check_reviews,
                                check_effects)


def run_checks(kb: KnowledgeBase, checks: tuple[Check, ...] = CHECKS) -> Iterator[Problem]:
    for check in checks:
        yield from check(kb)
