"""Cross-file checks: claims against the bibliography, appraisals and the article text.

Each check is a small generator over a loaded `KnowledgeBase` that yields `Problem`s, so one
pass collects every problem. `CHECKS` lists them in the order they run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Container, Iterable, Iterator

from kb.anchors import sha256_text
from kb.model import (
    QUALITY_RATINGS,
    Appraisal,
    Effect,
    EffectMeasure,
    KnowledgeBase,
    ReviewStatus,
    Stance,
    expected_certainty,
)
from kb.problems import Problem, Report, error, warning
from kb.rules import default_certainty

Check = Callable[[KnowledgeBase], Iterator[Problem]]
# Google's ClaimReview guidance: keep claimReviewed under 75 characters (mobile display).
SHORT_MAX_CHARS = 74


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


def _claim_links(kb: KnowledgeBase) -> Iterator[tuple[int, str, list[tuple[int, str]]]]:
    """(position, id, [(link position, study key)]) of every claim in file order, those
    that failed validation included (their well-formed links can still be checked)."""
    valid = ((idx, c.id, [(j, link.study) for j, link in enumerate(c.evidence)])
             for idx, c in kb.claims_with_index())
    if not kb.invalid_claims:
        yield from valid
        return
    invalid = [(c.index, c.id, list(c.links)) for c in kb.invalid_claims if c.links]
    yield from sorted([*valid, *invalid], key=lambda item: item[0])


def check_evidence_links(kb: KnowledgeBase) -> Iterator[Problem]:
    for idx, claim_id, links in _claim_links(kb):
        seen: Counter[str] = Counter()
        for j, study in links:
            seen[study] += 1
            known = study in kb.references
            if seen[study] < 2 and known and (study in kb.studies
                                              or study in kb.invalid_studies):
                continue  # the usual case: no problem, so no line to look up
            path = f"claims[{idx}].evidence[{j}].study"
            line = kb.line_of(path)
            if seen[study] == 2:
                yield warning("link-duplicate", kb.claims_file, line,
                              f"claim '{claim_id}' links study '{study}' more than once",
                              "merge the links unless they speak to different outcomes",
                              path=path)
            if study not in kb.references:
                yield error("claim-unknown-study", kb.claims_file, line,
                            f"study '{study}' is not in {kb.bib_file}",
                            _did_you_mean(study, kb.references) or
                            f"add the entry to {kb.bib_file} or fix the key", path=path)
            elif study not in kb.studies and study not in kb.invalid_studies:
                yield error("claim-study-not-appraised", kb.claims_file, line,
                            f"study '{study}' has no appraisal under 'studies:'",
                            f"add 'studies: {study}:' with its design and verification",
                            path=path)


def check_studies(kb: KnowledgeBase) -> Iterator[Problem]:
    cited = {link.study for c in kb.claims for link in c.evidence}
    cited.update(key for c in kb.invalid_claims for _, key in c.links)
    included = {k for a in kb.studies.values() for k in a.includes}
    yield from study_problems(kb, kb.studies, kb.references, cited, included)


def study_problems(kb: KnowledgeBase, studies: Iterable[str], references: Iterable[str],
                   cited: Container[str], included: Container[str]) -> Iterator[Problem]:
    """What `check_studies` finds about these appraised studies and references (keys of
    `kb.studies` and `kb.references`, in their order), given which keys claims cite and which
    reviews include: all it takes from the claims is `cited` (see `kb.edit.applied`)."""
    for key in studies:
        appraisal = kb.studies[key]
        path = f"studies.{key}"
        if key not in kb.references:
            yield error("study-unknown-reference", kb.claims_file, kb.line_of(path),
                        f"appraised study '{key}' is not in {kb.bib_file}",
                        _did_you_mean(key, kb.references) or
                        f"add the entry to {kb.bib_file} or fix the key", path=path)
        if key not in cited and key not in included:
            yield warning("study-unused", kb.claims_file, kb.line_of(path),
                          f"study '{key}' is appraised but no claim cites it",
                          "link it from a claim's evidence, or remove the appraisal", path=path)
        yield from _check_includes(kb, key, appraisal, path)
        yield from _check_quality(kb, appraisal, path)
    for key in references:
        if key not in kb.studies and key not in cited:
            yield warning("reference-unused", kb.bib_file, kb.references[key].line,
                          f"'{key}' is in the bibliography but no claim cites it",
                          "cite it from a claim, or remove it from the bibliography", path=key)


def _check_includes(kb: KnowledgeBase, key: str, appraisal: Appraisal,
                    path: str) -> Iterator[Problem]:
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


def _check_quality(kb: KnowledgeBase, appraisal: Appraisal, path: str) -> Iterator[Problem]:
    quality = appraisal.quality
    if quality is None or quality.tool not in QUALITY_RATINGS:
        return
    allowed = QUALITY_RATINGS[quality.tool]
    if quality.rating.lower() not in allowed:
        q_path = f"{path}.quality.rating"
        yield error("schema-vocabulary", kb.claims_file, kb.line_of(q_path),
                    f"'{quality.rating}' is not a {quality.tool.value} rating",
                    "use one of: " + ", ".join(allowed), path=q_path)


def check_quotes(kb: KnowledgeBase) -> Iterator[Problem]:
    index = kb.article_index
    if index is None:
        return
    quoted = [(idx, c.id, c.quote) for idx, c in kb.claims_with_index()]
    if kb.invalid_claims:  # a claim with a schema error still has its quote checked
        quoted = sorted([*quoted, *((c.index, c.id, c.quote) for c in kb.invalid_claims
                                    if c.quote.strip())])
    found = index.count_many(q for _, _, q in quoted)
    for idx, claim_id, quote in quoted:
        path = f"claims[{idx}].quote"
        spans = found[quote]
        if not spans:
            near = index.closest(quote)
            yield error("claim-quote-not-found", kb.claims_file, kb.line_of(path),
                        f"the quote of claim '{claim_id}' is not in the article text",
                        f"copy the article's exact words; closest passage: \"{near}\"",
                        path=path)
        elif spans > 1:
            yield warning("claim-quote-ambiguous", kb.claims_file, kb.line_of(path),
                          f"the quote of claim '{claim_id}' occurs {spans} times",
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
        found = kb.article_index.count_many(  # type: ignore[union-attr]
            c.quote for c in kb.claims)
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


def check_certainties(kb: KnowledgeBase) -> Iterator[Problem]:
    """Links graded with the design's default certainty, so the editor knows to appraise them."""
    for idx, claim in kb.claims_with_index():
        for j, link in enumerate(claim.evidence):
            if link.certainty is not None or link.stance is Stance.CONTEXT:
                continue
            if link.study not in kb.studies:
                continue  # an unknown or unappraised study is reported as an error already
            certainty, why = default_certainty(link, kb.studies[link.study])
            path = f"claims[{idx}].evidence[{j}]"
            yield warning("link-certainty-default", kb.claims_file, kb.line_of(path),
                          f"claim '{claim.id}': the link to '{link.study}' has no certainty; "
                          f"graded {certainty.label} ({why})",
                          f"appraise it and write 'certainty: {certainty.value}' or another "
                          "GRADE level; add 'downgrades:' for the domains that lower it",
                          path=path)


def check_short_forms(kb: KnowledgeBase) -> Iterator[Problem]:
    for idx, claim in kb.claims_with_index():
        if claim.short is not None and len(claim.short) > SHORT_MAX_CHARS:
            path = f"claims[{idx}].short"
            yield warning("claim-short-long", kb.claims_file, kb.line_of(path),
                          f"the short form of claim '{claim.id}' has {len(claim.short)} "
                          f"characters; ClaimReview asks for at most {SHORT_MAX_CHARS}",
                          "say the claim in fewer words, faithful to the statement", path=path)


def check_contradictions(kb: KnowledgeBase,
                         ids: Collection[str] | None = None) -> Iterator[Problem]:
    """Each claim's `contradicts` names another claim of the base (`ids`: every claim id of
    the base, when `kb` holds only some of its claims)."""
    if ids is None:
        ids = claim_ids(kb)
    for idx, claim in kb.claims_with_index():
        for j, other in enumerate(claim.contradicts):
            path = f"claims[{idx}].contradicts[{j}]"
            if other == claim.id:
                yield error("claim-contradicts-itself", kb.claims_file, kb.line_of(path),
                            f"claim '{claim.id}' lists itself under contradicts",
                            "name the other claim that asserts the opposite", path=path)
            elif other not in ids:
                yield error("claim-contradicts-unknown", kb.claims_file, kb.line_of(path),
                            f"claim '{claim.id}' contradicts '{other}', which is not a claim",
                            _did_you_mean(other, ids) or "use another claim's id", path=path)


def claim_ids(kb: KnowledgeBase) -> set[str]:
    """The ids of every claim, those that failed validation included."""
    return {c.id for c in kb.claims} | {c.id for c in kb.invalid_claims}


def check_effects(kb: KnowledgeBase) -> Iterator[Problem]:
    """GRADE fields of each link: certainty against design and domains, effect numbers."""
    for idx, claim in kb.claims_with_index():
        for j, link in enumerate(claim.evidence):
            base = f"claims[{idx}].evidence[{j}]"
            appraisal = kb.studies.get(link.study)
            expected = None if appraisal is None else expected_certainty(appraisal.design, link)
            # a link without certainty is graded with the default and warned about instead
            if (expected is not None and link.certainty is not None
                    and expected is not link.certainty):
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
    check_certainties,
    check_short_forms,
    check_contradictions,
    check_effects,
)


# What each warning leaves to do, in words for `kb check`'s summary.
TO_DO: dict[str, str] = {
    "claim-no-evidence": "checkable claims without evidence links",
    "link-certainty-default": "links graded with their design's default certainty",
    "study-unused": "appraised studies no claim cites",
    "reference-unused": "references no claim cites",
    "article-unhashed": "article text without a recorded hash",
    "review-incomplete": "reviewed claims without reviewer and date",
    "claim-quote-ambiguous": "quotes that occur more than once",
    "claim-short-long": "short forms longer than ClaimReview's 74 characters",
}


def left_to_do(report: Report) -> list[str]:
    """A count per kind of warning that is work left for the editor ('Left to do:' lines)."""
    counts = Counter(p.code for p in report.warnings if p.code in TO_DO)
    if not counts:
        return []
    return ["Left to do:", *(f"  {n} {TO_DO[code]} ({code})"
                             for code, n in sorted(counts.items(), key=lambda kv: -kv[1]))]


def run_checks(kb: KnowledgeBase, checks: tuple[Check, ...] = CHECKS) -> Iterator[Problem]:
    for check in checks:
        yield from check(kb)
