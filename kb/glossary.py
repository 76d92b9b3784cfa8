"""The glossary: every term the dashboard and reports use, in plain words for a lay reader.

Entries are data, grouped by the vocabulary they explain (verdicts, certainty, stances,
horizons, designs, claim kinds, rules, appraisal tools, other terms), so a test can check that
each vocabulary value has one. `{short}` and `{long}` stand for a base's horizon thresholds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.model import Settings


@dataclass(frozen=True)
class Entry:
    group: str      # the vocabulary: 'verdict', 'certainty', 'stance', 'horizon', ...
    key: str        # the value as files and URLs write it ('very-low', 'R6-limited', 'pico')
    term: str       # how readers see it
    text: str       # what it means, in plain words

    @property
    def anchor(self) -> str:
        """The id of the entry on the glossary page (`/glossary#stance-mixed`)."""
        return f"{self.group}-{self.key}".lower().replace(" ", "-")


GROUPS = {
    "verdict": "Verdicts",
    "certainty": "Certainty of the evidence (GRADE)",
    "stance": "How a study bears on a claim (stance)",
    "horizon": "Follow-up horizons",
    "design": "Study designs",
    "kind": "Kinds of claim",
    "rule": "Verdict rules",
    "tool": "Appraisal tools",
    "effect": "Effect sizes",
    "domain": "Why GRADE rates evidence down or up",
    "term": "Other terms",
}

_ENTRIES: tuple[tuple[str, str, str, str], ...] = (
    # verdicts
    ("verdict", "supported", "Supported",
     "Good evidence backs the claim: at least moderately certain support from more than one "
     "study, and nothing comparable against it."),
    ("verdict", "limited", "Limited evidence",
     "Some studies back the claim, but the evidence is too uncertain or too thin to call it "
     "supported. The claim may be true; we cannot be confident."),
    ("verdict", "mixed", "Mixed evidence",
     "Studies disagree: some back the claim and others, about as trustworthy, do not (or "
     "report mixed results). The claim may be true in part or only for some people."),
    ("verdict", "contradicted", "Contradicted",
     "The most trustworthy evidence goes against the claim."),
    ("verdict", "no-evidence", "No evidence",
     "No study in this review backs or refutes the claim. That does not make it false: nobody "
     "we found has tested it."),
    ("verdict", "not-checkable", "Not checkable",
     "An opinion, a vague statement or a description of practice that studies cannot confirm "
     "or refute. The editor says why."),
    ("verdict", "not-graded", "Not graded",
     "The claim's entry has errors in the files, so no verdict was computed until they are "
     "fixed (see the Check page)."),
    # certainty
    ("certainty", "grade", "GRADE",
     "An international method for rating how sure we can be about a body of evidence. It "
     "starts from the kind of study (trials rate higher than observations) and rates down "
     "for problems such as bias, inconsistent results, small or imprecise studies, or "
     "evidence that does not quite match the question."),
    ("certainty", "high", "High certainty",
     "We are very confident: further research is very unlikely to change the picture."),
    ("certainty", "moderate", "Moderate certainty",
     "We are fairly confident; the truth is probably close to what the studies found, but it "
     "could be different."),
    ("certainty", "low", "Low certainty",
     "Our confidence is limited: the truth may be quite different from what the studies found."),
    ("certainty", "very-low", "Very low certainty",
     "We have very little confidence: the truth is likely to be quite different."),
    # stance
    ("stance", "supports", "Supports",
     "The study's results back the claim."),
    ("stance", "refutes", "Refutes",
     "The study's results go against the claim."),
    ("stance", "mixed", "Mixed (stance)",
     "The study found some results for the claim and some against it, or no clear difference."),
    ("stance", "context", "Context",
     "The study gives background (a definition, how the treatment is done, how common "
     "something is) but does not test the claim. Context links never change a verdict."),
    # horizons
    ("horizon", "immediate", "Immediate",
     "Measured straight after treatment, within a day."),
    ("horizon", "short-term", "Short-term",
     "Measured up to {short} weeks (about 3 months) after treatment."),
    ("horizon", "intermediate", "Intermediate",
     "Measured between {short} and {long} weeks (about 3 to 12 months) after treatment."),
    ("horizon", "long-term", "Long-term",
     "Measured {long} weeks (about a year) or more after treatment. Lasting benefit or harm "
     "can only be judged from studies that follow patients this long."),
    ("horizon", "unknown", "Unknown follow-up",
     "The study record does not say how long after treatment the results were measured."),
    # designs
    ("design", "umbrella-review", "Umbrella review",
     "A review of systematic reviews on a topic."),
    ("design", "systematic-review-meta-analysis", "Systematic review with meta-analysis",
     "A systematic review that also pools the numbers of the included studies into one "
     "overall estimate."),
    ("design", "systematic-review", "Systematic review",
     "A review that searches for all studies on a question with a stated method, judges "
     "their quality and sums up what they found."),
    ("design", "critically-appraised-topic", "Critically appraised topic",
     "A short, structured summary of the best evidence on one clinical question, with a less "
     "thorough search than a systematic review."),
    ("design", "crossover-rct", "Randomised crossover trial",
     "A randomised trial in which each person gets the treatments one after the other, in "
     "random order, with a break between them."),
    ("design", "cluster-rct", "Cluster-randomised trial",
     "A randomised trial that assigns whole groups (such as clinics) rather than single "
     "people to the treatments."),
    ("design", "physiology", "Physiology study",
     "A study in people that measures a response of the body (blood flow, muscle activity, "
     "pain threshold) rather than whether patients get better."),
    ("design", "rct", "Randomised controlled trial",
     "Patients are assigned by chance to the treatment or to a comparison (such as a sham "
     "treatment), so the groups differ only in the treatment. The fairest test of a "
     "treatment."),
    ("design", "non-randomised-trial", "Non-randomised trial",
     "A trial that compares groups that were not assigned by chance, so they may differ in "
     "other ways too."),
    ("design", "cohort", "Cohort study",
     "Follows a group of people over time and compares those who had something with those "
     "who did not."),
    ("design", "case-control", "Case-control study",
     "Compares people who have a condition with similar people who do not, looking back at "
     "what happened to them."),
    ("design", "cross-sectional", "Cross-sectional study / survey",
     "A snapshot of a group at one time, such as a survey of therapists."),
    ("design", "case-series", "Case series",
     "A description of several patients who had the same treatment, without a comparison "
     "group."),
    ("design", "case-report", "Case report",
     "A description of one patient."),
    ("design", "narrative-review", "Narrative review",
     "An expert's overview of a topic, without a systematic search."),
    ("design", "guideline", "Guideline / position statement",
     "Recommendations or a position issued by a professional body."),
    ("design", "laboratory", "Laboratory / mechanistic study",
     "A study of how something works (in tissue, animals or measurements), not of whether "
     "it helps patients."),
    ("design", "expert-opinion", "Expert opinion",
     "What experts think, without new data."),
    # claim kinds
    ("kind", "etiology", "Cause",
     "A claim about what causes a problem."),
    ("kind", "mechanism", "How it works",
     "A claim about how the treatment works in the body."),
    ("kind", "definition", "Definition",
     "A claim about what the treatment is or is not."),
    ("kind", "procedure", "Procedure",
     "A claim about how the treatment is done."),
    ("kind", "safety", "Safety",
     "A claim about harms or side effects."),
    ("kind", "efficacy", "Effect",
     "A claim that the treatment helps."),
    ("kind", "comparative-efficacy", "Effect compared with another treatment",
     "A claim that the treatment helps as much as, or more than, another."),
    ("kind", "state-of-evidence", "State of the evidence",
     "A claim about what research exists. When it says long-term evidence is missing, it is "
     "checked against the trials in this base (rules S1 to S4)."),
    ("kind", "practice", "Practice",
     "A claim about who uses the treatment and how."),
    # rules (the one-line meaning of each rule in kb.rules)
    ("rule", "R1-not-checkable", "R1 · not checkable",
     "The editor marked the claim as not checkable, so it gets no verdict from studies."),
    ("rule", "R2-no-evidence", "R2 · no evidence",
     "No linked study backs, refutes or gives mixed results on the claim."),
    ("rule", "R3-contradicted", "R3 · contradicted",
     "The most trustworthy evidence is against the claim and outranks everything for it."),
    ("rule", "R4-mixed", "R4 · mixed",
     "Evidence against the claim (or with mixed results) is about as trustworthy as the "
     "evidence for it."),
    ("rule", "R5-supported", "R5 · supported",
     "Evidence for the claim is at least moderately certain and comes from two or more "
     "studies (the thresholds a base may change), with nothing comparable against it."),
    ("rule", "R6-limited", "R6 · limited",
     "Some evidence backs the claim, but not enough or not certain enough for 'supported'."),
    ("rule", "S1-long-term-support-found", "S1 · long-term support found",
     "The claim says long-term evidence is missing, but a trial in this base followed "
     "patients for {long} weeks or more and found a lasting benefit (or a linked review "
     "reports one), so the claim is contradicted."),
    ("rule", "S2-long-term-support-lacking", "S2 · long-term support lacking",
     "The claim says long-term evidence is missing, and the base agrees: none of its trials "
     "that followed patients for {long} weeks or more found a lasting benefit."),
    ("rule", "S3-reviews-only", "S3 · reviews only",
     "The claim says long-term evidence is missing; the base has no trials to check it "
     "against, only reviews that report few long-term data."),
    ("rule", "S4-base-silent", "S4 · nothing to check against",
     "The claim says long-term evidence is missing; the base has neither trials nor reviews "
     "that speak to it."),
    ("rule", "not-graded", "Not graded",
     "The claim's entry has errors in the files, so the rules were not applied."),
    # appraisal tools
    ("tool", "AMSTAR 2", "AMSTAR 2",
     "A checklist for judging how trustworthy a systematic review is (high, moderate, low or "
     "critically low confidence)."),
    ("tool", "RoB 2", "RoB 2",
     "Cochrane's tool for the risk of bias of a randomised trial (low, some concerns, high)."),
    ("tool", "ROBINS-I", "ROBINS-I",
     "A tool for the risk of bias of a study that did not randomise patients."),
    ("tool", "PEDro", "PEDro scale",
     "A 10-point checklist from the Physiotherapy Evidence Database that scores how well a "
     "physiotherapy trial was run; higher is better."),
    ("tool", "Cochrane RoB", "Cochrane risk of bias",
     "Cochrane's earlier tool for the risk of bias of a trial."),
    ("tool", "GRADE", "GRADE (as a rating)",
     "A certainty rating given by the study's own authors with the GRADE method."),
    ("tool", "other", "Other tool",
     "Another appraisal tool, named in the rating."),
    # effect measures
    ("effect", "MD", "Mean difference (MD)",
     "The average difference between the groups on the scale that was measured, such as "
     "1.5 points less pain on a 0 to 10 scale."),
    ("effect", "SMD", "Standardised mean difference (SMD)",
     "The difference between the groups measured in standard deviations, so that studies "
     "using different scales can be combined. As a rough guide, 0.2 is small, 0.5 moderate "
     "and 0.8 large."),
    ("effect", "RR", "Risk ratio (RR)",
     "How many times more (or less) likely an event is with the treatment than without; 1 "
     "means no difference."),
    ("effect", "OR", "Odds ratio (OR)",
     "Like a risk ratio, but comparing odds; 1 means no difference."),
    ("effect", "RD", "Risk difference (RD)",
     "The difference between the groups in the share of people who had an event."),
    ("effect", "HR", "Hazard ratio (HR)",
     "How much faster (or slower) an event happens with the treatment over time; 1 means "
     "no difference."),
    ("effect", "narrative", "Narrative result",
     "The study reports its result in words, without a number that can be combined."),
    ("effect", "ci", "95% confidence interval (CI)",
     "The range of values within which the true effect probably lies. A wide range means "
     "an imprecise result; a range that includes 'no difference' means the study could not "
     "rule out that the treatment does nothing."),
    # GRADE domains
    ("domain", "risk-of-bias", "Risk of bias",
     "Flaws in how the studies were run (for example patients knew which treatment they "
     "got) that may make results look better or worse than they are."),
    ("domain", "inconsistency", "Inconsistency",
     "The studies' results differ from each other more than chance would explain."),
    ("domain", "indirectness", "Indirectness",
     "The studies looked at somewhat different people, treatments or outcomes than the "
     "claim is about."),
    ("domain", "imprecision", "Imprecision",
     "Too few patients or events, so the result could easily be quite different."),
    ("domain", "publication-bias", "Publication bias",
     "Studies with disappointing results may not have been published, so what we see may "
     "look better than the truth."),
    ("domain", "large-effect", "Large effect",
     "The effect is so large that it is unlikely to be explained by flaws alone."),
    ("domain", "dose-response", "Dose-response",
     "More of the treatment gives more effect, which makes a real effect more likely."),
    ("domain", "plausible-confounding", "Plausible confounding",
     "Anything that could have distorted the result would have made the effect look "
     "smaller, so the real effect is probably at least as large."),
    # other terms
    ("term", "claim", "Claim",
     "One statement of the article, tied to its exact words (the quote)."),
    ("term", "verdict", "Verdict",
     "What the evidence says about a claim, computed by the rules from the linked studies."),
    ("term", "certainty", "Certainty",
     "How sure we can be about the evidence for a claim, rated with GRADE."),
    ("term", "stance", "Stance",
     "How a study bears on a claim: it supports it, refutes it, gives mixed results, or only "
     "gives context."),
    ("term", "follow-up", "Follow-up",
     "How long after treatment the results were measured, shown in weeks."),
    ("term", "horizon", "Horizon",
     "The follow-up grouped into immediate, short-term, intermediate and long-term."),
    ("term", "lacking-long-term", "Long-term evidence (lacking / present / n/a)",
     "Whether any trial or review behind the claim followed patients to the long-term "
     "horizon ({long} weeks). 'Lacking' means none did, so lasting effects are unknown; "
     "'present' means one did; 'n/a' means the question does not apply: it is asked of "
     "claims about effects, about harms over time, and about whether long-term evidence "
     "exists, not of claims about how the treatment works, what it is or how it is done."),
    ("term", "summary-of-findings", "Summary of findings",
     "GRADE's table for a claim about effects or harms: for each outcome, how many people "
     "and studies, how certain the evidence is and why it was rated down, how big the effect "
     "was and over what follow-up, and what that means in words."),
    ("term", "forest-plot", "Forest plot",
     "A chart with one row per study: the square is the study's result, the line its 95% "
     "confidence interval, the dashed line 'no difference'. A diamond, where shown, combines "
     "the studies; here that pooling is exploratory, not a systematic review."),
    ("term", "override", "Editor's override",
     "An editor's own verdict, with reasons, shown next to the computed one."),
    ("term", "rule", "Rule",
     "One line of the verdict policy. The first rule that applies decides the verdict; each "
     "is listed under 'Verdict rules'."),
    ("term", "reason", "Reason",
     "Why the rule decided as it did: how many studies point which way, and how certain."),
    ("term", "pico", "PICO",
     "The question a claim asks, in four parts: Population (who), Intervention (what is "
     "done), Comparator (compared with what) and Outcome (what is measured)."),
    ("term", "mtrp", "MTrP (myofascial trigger point)",
     "A small, tender knot in a muscle that can cause pain there or elsewhere; the usual "
     "target of dry needling."),
    ("term", "participants", "Participants (n)",
     "How many people took part in the study (for a review, in the studies it pooled)."),
    ("term", "outcome", "Outcome",
     "What was measured, such as pain or range of movement."),
    ("term", "locator", "Locator",
     "Where in the paper we read the finding (for example 'abstract' or 'table 2'), so "
     "anyone can check it."),
    ("term", "note", "Note",
     "Why and how the study bears on the claim, in the reviewers' words."),
    ("term", "overlap", "Overlap between reviews",
     "When several reviews behind a claim include the same original studies, they are not "
     "independent, and counting each would overstate the evidence."),
    ("term", "cca", "Corrected covered area (CCA)",
     "A percentage that measures overlap between reviews: 0% means no shared studies. Below "
     "5% is slight, 5 to 10% moderate, 10 to 15% high, above 15% very high overlap."),
    ("term", "gap-map", "Evidence gap map",
     "A grid of claims against follow-up horizons showing where studies exist and where "
     "they are missing."),
    ("term", "review-status", "Review status",
     "Draft until an editor has checked the claim and its evidence; then reviewed."),
    ("term", "doi", "DOI",
     "A permanent web address of a published paper."),
    ("term", "pubmed", "PubMed",
     "The US National Library of Medicine's free index of medical papers."),
)


# Words in claims, quotes and notes that name a glossary entry: (group, key) -> patterns.
ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("term", "mtrp"): (r"MTrPs?", r"(?:myofascial )?trigger points?"),
    ("term", "pico"): (r"PICO",),
    ("tool", "PEDro"): (r"PEDro",),
    ("certainty", "grade"): (r"GRADE",),
    ("tool", "AMSTAR 2"): (r"AMSTAR ?2",),
    ("tool", "RoB 2"): (r"RoB ?2",),
    ("design", "rct"): (r"RCTs?", r"randomi[sz]ed (?:controlled )?trials?"),
    ("design", "systematic-review-meta-analysis"): (r"meta-analys[ie]s",),
}
_ALIAS_RE = {k: re.compile(r"(?<!\w)(?:" + "|".join(v) + r")(?!\w)", re.I if k[0] != "certainty"
                           else 0) for k, v in ALIASES.items()}


def terms_in(*texts: str, settings: Settings | None = None) -> list[Entry]:
    """The glossary entries a text mentions by name ('MTrPs', 'PEDro', 'RCT'), in glossary
    order, so a page can explain the words a reader meets."""
    found = {k for k, pattern in _ALIAS_RE.items() if any(pattern.search(t) for t in texts if t)}
    return [e for e in entries(settings) if (e.group, e.key) in found]


def entries(settings: Settings | None = None) -> list[Entry]:
    """Every glossary entry, with the base's horizon thresholds filled in."""
    s = settings or Settings()
    values = {"short": f"{s.short_term_weeks:g}", "long": f"{s.long_term_weeks:g}"}
    return [Entry(group, key, term, text.format(**values))
            for group, key, term, text in _ENTRIES]


def lookup(settings: Settings | None = None) -> dict[tuple[str, str], Entry]:
    """Entries by (group, key)."""
    return {(e.group, e.key): e for e in entries(settings)}
