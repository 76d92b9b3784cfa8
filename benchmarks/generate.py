"""Generate a synthetic knowledge base in the real contract, deterministically, for benchmarks.

    python benchmarks/generate.py --scale 100 --out /tmp/kb-100

writes ``claims.yaml``, ``references.bib`` and ``article.txt`` into the folder. The same scale
and seed always give byte-identical files (one ``random.Random(seed)``, no clock, no hashing of
unordered sets).

Sizes (claims / studies / evidence links):

    scale 1     27 / 61 / 170           about the bundled base
    scale N     20N / 40N / 100N        (at least the scale-1 sizes)
    scale 100   2,000 / 4,000 / 10,000
    scale 1000  20,000 / 40,000 / 100,000

Shapes follow the bundled base and what reference managers export:

- studies: the bundled mix of designs (about a third are systematic or umbrella reviews, whose
  ``includes`` list 2-12 earlier studies of the same topic that are also in the base);
- BibTeX: Better BibTeX-style entries (``@article`` mostly, some ``@misc``, ``@techreport``,
  ``@book``, ``@inproceedings``) with DOI, PMID, ISSN, keywords and, for about three in four,
  an abstract of 150-350 words; author names and titles carry LaTeX accents
  (``{\\'e}``, ``{\\"o}``, ``\\~{n}``, ``{\\c{c}}``, ...), journals ``\\&``, pages ``--``;
- claims grouped by topic, linking 1-15 distinct studies (mostly from their topic, some from
  anywhere; reviews and trials are cited more), stances and GRADE certainties near the bundled
  mix, with notes, outcomes, follow-ups and locators; some PICO, reviewed claims and overrides;
- appraisals with design, participants or studies included, PICO-like fields, follow-up,
  quality (PEDro, RoB 2, AMSTAR 2, ROBINS-I), a summary, sometimes a caveat, and 1-4
  ``verified`` entries;
- the article: every claim's quote appears exactly once (each quote carries a unique made-up
  name), in file order, among filler sentences; half the paragraphs use typographic
  apostrophes and dashes and are hard-wrapped, so quotes are found only after normalisation.

Every study is cited by a claim or included by a review and every reference is appraised, so a
generated base passes ``kb check`` with no errors and no warnings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import re
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import yaml

# Bump when the output for a given (scale, seed) changes, so cached bases are regenerated.
GENERATOR_VERSION = 1
DEFAULT_SEED = 20261123
ARTICLE_FILE = "article.txt"

# --- vocabularies ----------------------------------------------------------------------------

DESIGNS = [  # (design, weight): close to the bundled base, with the common observational ones
    ("rct", 26), ("systematic-review-meta-analysis", 18), ("systematic-review", 10),
    ("umbrella-review", 3), ("narrative-review", 11), ("cross-sectional", 6),
    ("guideline", 4), ("case-report", 3), ("expert-opinion", 3), ("non-randomised-trial", 4),
    ("laboratory", 3), ("cohort", 5), ("case-series", 2), ("case-control", 2),
]
REVIEWS = {"systematic-review-meta-analysis", "systematic-review", "umbrella-review"}
PRIMARY = {"rct", "non-randomised-trial", "cohort", "case-control", "cross-sectional",
           "case-series"}
TRIALS = {"rct", "non-randomised-trial"}
# GRADE downgrades that explain each certainty (randomised evidence starts high, observational
# low; kb check warns otherwise), chosen without the random generator so that adding them
# changed no other generated value.
RANK = {"high": 4, "moderate": 3, "low": 2, "very-low": 1}
DOWNGRADES = {
    1: [{"domain": "risk-of-bias", "level": "serious", "reason": "Assessors were not blinded."}],
    2: [{"domain": "risk-of-bias", "level": "serious", "reason": "Assessors were not blinded."},
        {"domain": "imprecision", "level": "serious", "reason": "Few participants."}],
    3: [{"domain": "risk-of-bias", "level": "very-serious",
         "reason": "Allocation was not concealed and assessors were not blinded."},
        {"domain": "imprecision", "level": "serious", "reason": "Few participants."}],
}

KINDS = [("procedure", 7), ("practice", 4), ("efficacy", 6), ("mechanism", 3),
         ("definition", 3), ("safety", 3), ("comparative-efficacy", 4), ("etiology", 1),
         ("state-of-evidence", 1)]
EFFECT_KINDS = {"efficacy", "comparative-efficacy", "safety"}

CONDITIONS = [
    "chronic neck pain", "low back pain", "myofascial pain syndrome", "plantar heel pain",
    "lateral epicondylalgia", "shoulder impingement", "tension-type headache",
    "knee osteoarthritis", "temporomandibular disorder", "fibromyalgia", "patellofemoral pain",
    "greater trochanteric pain", "whiplash-associated disorder", "post-stroke spasticity",
    "carpal tunnel syndrome", "chronic pelvic pain", "migraine", "subacromial pain",
    "ankle sprain", "nocturnal calf cramps", "mechanical neck pain", "chronic shoulder pain",
]
MUSCLES = [
    "upper trapezius", "levator scapulae", "gluteus medius", "infraspinatus", "gastrocnemius",
    "quadratus lumborum", "masseter", "soleus", "sternocleidomastoid", "lumbar multifidus",
    "piriformis", "temporalis", "supraspinatus", "rhomboid", "pectoralis minor",
    "extensor carpi radialis", "vastus medialis", "tibialis anterior", "splenius capitis",
]
INTERVENTIONS = [
    "dry needling", "deep dry needling", "superficial dry needling",
    "trigger point dry needling", "electrical dry needling", "dry needling plus exercise",
    "dry needling plus manual therapy", "percutaneous electrolysis",
]
COMPARATORS = [
    "sham needling", "lidocaine injection", "usual care", "stretching", "manual therapy",
    "exercise alone", "placebo", "no treatment", "ischaemic compression", "acupuncture",
    "botulinum toxin injection", "physical therapy alone", "kinesio taping",
    "therapeutic ultrasound", "a waiting list",
]
OUTCOMES = [
    "pain intensity", "pressure pain threshold", "disability", "range of motion", "function",
    "quality of life", "grip strength", "headache frequency", "muscle stiffness",
    "adverse events", "return to work", "sleep quality", "patient satisfaction",
    "kinesiophobia", "post-needling soreness", "medication use",
]
FOLLOW_UPS = ["immediate", "1 days", "3 days", "1 week", "2 weeks", "4 weeks", "6 weeks",
              "8 weeks", "12 weeks", "3 months", "6 months", "12 months", "1 year", "2 years",
              "P6M", "P1Y", "28 days"]
LINK_FOLLOW_UPS = FOLLOW_UPS + ["short-term", "short term", "intermediate", "long-term"]
LOCATORS = ["abstract", "abstract, results", "results, table 2", "discussion",
            "abstract and conclusions", "figure 3", "results, forest plot of pain",
            "methods and results", "key messages", "table 1 and results"]
VERIFY_FIELDS = ["authors", "title", "journal", "year", "volume", "number", "pages", "doi",
                 "pmid", "design", "findings", "studies_included", "participants",
                 "follow_up"]

# Surnames and given names as Better BibTeX writes them, LaTeX accents included.
SURNAMES = [
    r"Fern{\'a}ndez-de-las-Pe{\~n}as", r"M{\"u}ller", r"Gonz{\'a}lez", r"Garc{\'\i}a",
    r"Sch{\"o}n", r"Lindstr{\"o}m", r"Ca{\~n}ete", r"Ib\'{a}\~{n}ez", r"Nu\~{n}ez",
    r"Bj{\"o}rk", r"Ko{\c{c}}", r"Dvo{\v{r}}{\'a}k", r"{\O}stergaard", r"{\AA}berg",
    r"L{\'o}pez", r"Mart{\'\i}nez", r"Rodr{\'\i}guez", r"S{\'a}nchez", r"Jim{\'e}nez",
    r"Pe{\~n}a", r"Gr{\"u}nwald", r"K{\"o}hler", r"B{\'e}langer", r"Lef{\`e}vre",
    r"Fran{\c{c}}ois", r"Cagnie", "Dommerholt", "Gattie", "Cleland", "Snodgrass", "Kietrys",
    "Liu", "Chen", "Wang", "Zhang", "Li", "Kim", "Park", "Patel", "Smith", "Jones", "Brown",
    "Taylor", "Wilson", "Thomas", "Roberts", "Walker", "Hall", "Young", "King", "Wright",
    "Hughes", "Murphy", "O'Brien", "van der Berg", "De Meulemeester", "Rossi", "Bianchi",
    "Ferreira", "Silva", "Santos", "Oliveira", "Nakamura", "Tanaka", "Sato", "Yilmaz",
    "Kaya", "Novak", "Horvat", "Kowalski", "Nowak", "Andersen", "Hansen", "Nielsen",
    "Ong", "Claydon", "Shah", "Gerwin", "Quintner", "Lucas", "Chys", "Murillo", "Kindt",
]
GIVEN = [
    r"Jos{\'e}", r"Ren{\'e}", r"J{\"o}rg", r"Fran{\c{c}}oise", r"In{\'e}s", r"Se{\'a}n",
    r"Andr{\'e}s", r"Ma{\"e}lle", r"Zo{\"e}", r"Bj{\"o}rn", r"Ant{\'o}nio", r"S{\o}ren",
    "C{\\'e}sar", "Marjolein", "Kayleigh", "Carlos", "Barbara", "Eric J.", "Joshua A.",
    "Michele", "Jan", "Maria", "Anna", "Peter", "Wei", "Min-Jun", "Priya", "David M.",
    "Sarah", "James", "Laura", "Thomas", "Yuki", "Emre", "Lukas", "Sofia", "Marco",
    "Ana Paula", "Hiroshi", "Olga", "Ivan", "Nora", "Leica S.", "Jay P.", "Robert D.",
]
JOURNALS = [
    "Journal of Orthopaedic \\& Sports Physical Therapy", "Journal of Clinical Medicine",
    "Archives of Physical Medicine and Rehabilitation", "Journal of Bodywork and Movement "
    "Therapies", "Physical Therapy", "Pain Medicine", "Clinical Journal of Pain",
    "Musculoskeletal Science and Practice", "Journal of Manual \\& Manipulative Therapy",
    "BMC Musculoskeletal Disorders", "Acupuncture in Medicine", "Physiotherapy",
    "European Journal of Pain", "Journal of Pain Research", "Complementary Therapies in "
    "Medicine", "American Journal of Physical Medicine \\& Rehabilitation",
    "Revista Espa{\\~n}ola de Fisioterapia", "Fisioth{\\'e}rapie et R{\\'e}adaptation",
    "Trials", "Cochrane Database of Systematic Reviews",
]
PUBLISHERS = ["Churchill Livingstone", "Elsevier", "Springer", "Wolters Kluwer",
              "Handspring Publishing", "Editorial M{\\'e}dica Panamericana"]
ORGANISATIONS = ["American Physical Therapy Association", "World Physiotherapy",
                 "Chartered Society of Physiotherapy", "Australian Physiotherapy Association",
                 "Sociedad Espa{\\~n}ola de Fisioterapia", "Federation of State Boards of "
                 "Physical Therapy"]
TITLE_ACCENTED = [r"na{\"\i}ve", r"caf{\'e}-style", r"{\'e}lite", r"se{\~n}al",
                  r"r{\'e}sum{\'e}", r"d{\'e}j{\`a} vu", r"{\"U}bersicht", r"Pe{\~n}a's sign",
                  r"Fran\c{c}ais", r"Ca\~{n}ada region"]
# Filler prose for summaries, notes, abstracts and the article.
WORDS = (
    "the a of in and with for to after before during between among across patients "
    "participants adults clinicians therapists treatment session sessions needle needles "
    "muscle muscles tissue trigger point points tension pain relief response twitch local "
    "randomised controlled trial review evidence effect effects outcome outcomes follow-up "
    "short-term long-term baseline group groups control sham placebo significant difference "
    "differences small moderate large reduction improvement improvements measured reported "
    "assessed compared analysed pooled studies included excluded bias risk certainty low "
    "very moderate high quality data results findings suggest indicate show showed "
    "clinical practice physical therapy exercise stretching manual therapy injection "
    "lidocaine disability function mobility stiffness soreness adverse events mild transient "
    "bleeding bruising protocol technique depth duration frequency weeks months dose "
    "examiner reliability palpation diagnosis criteria population sample size heterogeneity"
).split()

SYLLABLES = ["ka", "lo", "mi", "ver", "na", "ta", "ri", "sol", "ben", "du", "fa", "gre", "hal",
             "jo", "ko", "lin", "mar", "nor", "pe", "quin", "ros", "sa", "tor", "vel", "wen",
             "zi", "bra", "cle"]
NAMED = ["protocol", "technique", "method", "programme", "approach", "clinic", "course",
         "school", "model", "regimen"]


@dataclass
class Study:
    index: int
    key: str
    design: str
    topic: int
    year: int
    entry_type: str
    fields: list[tuple[str, str]]
    includes: list[str] = field(default_factory=list)
    participants: int | None = None
    follow_up: str | None = None


@dataclass
class ClaimDraft:
    index: int
    topic: int
    kind: str
    checkable: bool
    unique: str
    quote: str
    sentence: str
    statement: str
    condition: str
    outcome: str
    comparator: str
    slots: int = 0
    studies: list[int] = field(default_factory=list)


def sizes(scale: int) -> tuple[int, int, int]:
    """(claims, studies, links) for a scale; scale 1 matches the bundled base."""
    return max(27, 20 * scale), max(61, 40 * scale), max(170, 100 * scale)


class Generator:
    def __init__(self, scale: int, seed: int = DEFAULT_SEED) -> None:
        if scale < 1:
            raise ValueError("scale must be at least 1")
        self.scale = scale
        self.seed = seed
        self.rng = random.Random(seed)
        self.n_claims, self.n_studies, self.n_links = sizes(scale)
        self.n_topics = max(1, self.n_claims // 20)
        self.studies: list[Study] = []
        self.claims: list[ClaimDraft] = []

    # --- small helpers ------------------------------------------------------------------

    def words(self, lo: int, hi: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(lo, hi)))

    def sentence(self, lo: int = 8, hi: int = 22) -> str:
        text = self.words(lo, hi)
        return text[0].upper() + text[1:] + "."

    def sentences(self, lo: int, hi: int) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(lo, hi)))

    def weighted(self, table: list[tuple[str, int]]) -> str:
        return self.rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]

    # --- studies ------------------------------------------------------------------------

    def make_studies(self) -> None:
        rng = self.rng
        keys: set[str] = set()
        dois: set[str] = set()
        pmids: set[int] = set()
        for i in range(self.n_studies):
            design = self.weighted(DESIGNS)
            topic = rng.randrange(self.n_topics)
            year = rng.randint(1995, 2025)
            authors = self.authors(design)
            first = re.sub(r"[^a-z]", "", _ascii(authors[0].split(",")[0]).lower()) or "anon"
            title = self.title(design)
            word = next((w for w in re.sub(r"[^a-z ]", "", _ascii(title).lower()).split()
                         if w not in ("the", "a", "an", "of", "in", "and", "on", "for")), "study")
            key = f"{first}{year}{word}"
            if key in keys:
                n = 1
                while f"{key}-{n}" in keys:
                    n += 1
                key = f"{key}-{n}"
            keys.add(key)
            entry_type, fields = self.bib_fields(design, authors, title, year, dois, pmids)
            study = Study(i, key, design, topic, year, entry_type, fields)
            if design in PRIMARY:
                study.participants = rng.randint(9, 1800) if design != "rct" else rng.randint(
                    20, 400)
            if design in TRIALS or design == "cohort" or (design in REVIEWS and rng.random() < .3):
                if rng.random() < 0.7:
                    study.follow_up = rng.choice(FOLLOW_UPS)
            self.studies.append(study)
        self.make_includes()

    def authors(self, design: str) -> list[str]:
        rng = self.rng
        if design == "guideline" and rng.random() < 0.5:
            return ["{" + rng.choice(ORGANISATIONS) + "}"]
        n = rng.choice([1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8, 10, 12])
        names = [f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)}" for _ in range(n)]
        if n >= 6 and rng.random() < 0.3:
            names[-1] = "others"
        return names

    def title(self, design: str) -> str:
        rng = self.rng
        cond, muscle = rng.choice(CONDITIONS), rng.choice(MUSCLES)
        inter, comp, out = rng.choice(INTERVENTIONS), rng.choice(COMPARATORS), rng.choice(OUTCOMES)
        templates = {
            "rct": [f"Effectiveness of {inter} of the {muscle} versus {comp} on {out} in patients "
                    f"with {cond}: a randomised controlled trial",
                    f"{inter.capitalize()} compared with {comp} for {cond}: a {{RCT}} with "
                    f"{rng.choice([6, 12, 26, 52])}-week follow-up"],
            "systematic-review-meta-analysis": [
                f"{inter.capitalize()} for {cond}: a systematic review and meta-analysis",
                f"The effect of {inter} on {out} in {cond}: systematic review and "
                f"meta-analysis of randomised trials"],
            "systematic-review": [f"{inter.capitalize()} in the management of {cond}: a "
                                  f"systematic review"],
            "umbrella-review": [f"Clinical effectiveness of {inter} in patients with "
                                f"musculoskeletal pain---an umbrella review"],
            "narrative-review": [f"Myofascial trigger points and {cond}: a narrative review of "
                                 f"mechanisms and management",
                                 f"{inter.capitalize()}: state of the art and "
                                 f"{rng.choice(TITLE_ACCENTED)} perspectives"],
            "guideline": [f"Clinical practice guideline on {inter} for {cond}",
                          f"Position statement on {inter} by physical therapists"],
        }
        options = templates.get(design, [
            f"{out.capitalize()} after {inter} of the {muscle} in {cond}: "
            f"{_a(design)} {design.replace('-', ' ')} study",
            f"{rng.choice(TITLE_ACCENTED).capitalize()} observations on {inter} and {out} in "
            f"{cond}"])
        title = rng.choice(options)
        if rng.random() < 0.15:
            title = title.replace("trigger point", "trigger point ({MTrP})", 1)
        return title

    def bib_fields(self, design: str, authors: list[str], title: str, year: int,
                   dois: set[str], pmids: set[int]) -> tuple[str, list[tuple[str, str]]]:
        rng = self.rng
        doi = ""
        while not doi or doi in dois:
            prefix = rng.randint(1000, 99999)
            journal = rng.choice(["jospt", "jcm", "apmr", "jbmt", "pm", "ejp", "bmc"])
            doi = (f"10.{prefix}/{journal}"
                   f".{year}.{rng.randint(1, 999999)}")
        dois.add(doi)
        pmid = 0
        while not pmid or pmid in pmids:
            pmid = rng.randint(10000000, 39999999)
        pmids.add(pmid)
        author = " and ".join(authors)
        if design == "guideline":
            entry_type = "misc" if rng.random() < 0.6 else "techreport"
        elif design == "expert-opinion":
            entry_type = "book" if rng.random() < 0.5 else "article"
        elif design == "laboratory":
            entry_type = "inproceedings" if rng.random() < 0.3 else "article"
        else:
            entry_type = "article"
        fields: list[tuple[str, str]] = [("title", title)]
        if entry_type == "techreport":
            fields.insert(0, ("author", author))
            fields += [("institution", rng.choice(ORGANISATIONS)), ("type", "Position statement")]
        elif entry_type == "misc":
            fields.insert(0, ("author", author))
            fields += [("howpublished", "Guideline, published online"),
                       ("organization", rng.choice(ORGANISATIONS))]
        elif entry_type == "book":
            fields.insert(0, ("author", author))
            fields += [("publisher", rng.choice(PUBLISHERS)), ("address", "Edinburgh"),
                       ("edition", str(rng.randint(1, 4)))]
            isbn = (rng.randint(100, 999), rng.randint(10000, 99999), rng.randint(0, 9))
            fields.append(("isbn", "978-0-{}-{}-{}".format(*isbn)))
        elif entry_type == "inproceedings":
            fields.insert(0, ("author", author))
            fields += [("booktitle", "Proceedings of the World Congress on Myofascial Pain"),
                       ("pages", f"{rng.randint(1, 400)}--{rng.randint(401, 800)}")]
        else:
            fields.insert(0, ("author", author))
            first_page = rng.randint(1, 2000)
            fields += [("journal", rng.choice(JOURNALS)),
                       ("volume", str(rng.randint(1, 120))),
                       ("number", str(rng.randint(1, 12))),
                       ("pages", f"{first_page}--{first_page + rng.randint(4, 20)}"),
                       ("issn", f"{rng.randint(1000, 9999)}-{rng.randint(100, 999)}"
                                f"{rng.choice('0123456789X')}")]
        fields.append(("year", str(year)))
        if rng.random() < 0.3:
            fields.append(("month", rng.choice(["jan", "mar", "jun", "sep", "nov"])))
        fields.append(("doi", doi))
        if entry_type == "article" or rng.random() < 0.3:
            fields.append(("pmid", str(pmid)))
        if rng.random() < 0.25:
            fields.append(("pmcid", f"PMC{rng.randint(1000000, 9999999)}"))
        fields.append(("url", f"https://doi.org/{doi}"))
        fields.append(("urldate", f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"))
        fields.append(("keywords", ", ".join(rng.sample(
            ["dry needling", "myofascial pain", "trigger points", "physical therapy",
             "randomized controlled trial", "meta-analysis", "musculoskeletal pain",
             "acupuncture", "neck pain", "low back pain", "rehabilitation"], rng.randint(2, 6)))))
        fields.append(("langid", "english"))
        if rng.random() < 0.75:
            fields.append(("abstract", self.abstract(design)))
        if rng.random() < 0.2:
            fields.append(("file", f"Full Text PDF:files/{rng.randint(1000, 99999)}/"
                                   f"paper.pdf:application/pdf"))
        return entry_type, fields

    def abstract(self, design: str) -> str:
        """A structured abstract of 150-350 words with numbers, percentages and LaTeX."""
        rng = self.rng
        target = rng.randint(150, 350)
        parts: list[str] = []
        heads = ["Background", "Objective", "Methods", "Results", "Conclusions"]
        count = 0
        for i, head in enumerate(heads):
            share = target // len(heads)
            body: list[str] = []
            n = 0
            while n < share:
                s = self.sentence(8, 24)
                if head == "Results" and rng.random() < 0.6:
                    s = (s[:-1] + f" (mean difference {rng.uniform(-3, 3):.2f}, 95\\% CI "
                         f"{rng.uniform(-4, 0):.2f} to {rng.uniform(0, 4):.2f}; "
                         f"p = {rng.choice(['0.001', '0.03', '0.12', '0.45'])}; "
                         f"I$^2$ = {rng.randint(0, 95)}\\%).")
                body.append(s)
                n += len(s.split())
            count += n
            parts.append(f"{head}: " + " ".join(body))
        return " ".join(parts)

    def make_includes(self) -> None:
        rng = self.rng
        by_topic: dict[int, list[Study]] = {}
        for s in self.studies:
            by_topic.setdefault(s.topic, []).append(s)
        for s in self.studies:
            if s.design not in REVIEWS:
                continue
            pool = by_topic[s.topic]
            if s.design == "umbrella-review":
                cands = [p for p in pool if p.design in REVIEWS and p is not s and p.year <= s.year]
            else:
                cands = [p for p in pool if p.design in PRIMARY and p.year <= s.year]
            if len(cands) < 2:
                continue
            k = min(len(cands), rng.randint(2, 12))
            s.includes = [p.key for p in rng.sample(cands, k)]

    # --- claims -------------------------------------------------------------------------

    def make_claims(self) -> None:
        rng = self.rng
        codes = rng.sample(range(len(SYLLABLES) ** 4), self.n_claims)
        for i in range(self.n_claims):
            c = codes[i]
            sy = []
            for _ in range(4):
                c, r = divmod(c, len(SYLLABLES))
                sy.append(SYLLABLES[r])
            unique = "".join(sy).capitalize()
            kind = self.weighted(KINDS)
            checkable = not (kind in ("procedure", "practice", "definition")
                             and rng.random() < 0.45)
            self.claims.append(self.claim_text(i, kind, checkable, unique))

    def claim_text(self, i: int, kind: str, checkable: bool, unique: str) -> ClaimDraft:
        rng = self.rng
        cond, muscle = rng.choice(CONDITIONS), rng.choice(MUSCLES)
        comp, out = rng.choice(COMPARATORS), rng.choice(OUTCOMES)
        named = f"the {unique} {rng.choice(NAMED)}"
        t = rng.randrange(3)
        if kind == "efficacy":
            quote = [f"needling the {muscle} with {named} relieves {out} in people with {cond}",
                     f"patients' {out} improves within days when {named} is used for {cond}",
                     f"{named} gives lasting relief of {cond} - often after a single session"][t]
            statement = f"Dry needling ({named}) improves {out} in {cond}."
        elif kind == "comparative-efficacy":
            quote = [f"{named} is just as effective as {comp} for {cond}",
                     f"combined with exercise, {named} works better than "
                     f"{comp.removesuffix(' alone')} alone",
                     f"{named} outperforms {comp} on {out}"][t]
            statement = f"Dry needling ({named}) is at least as effective as {comp} for {out}."
        elif kind == "safety":
            quote = [f"{named} is very safe, and the {muscle} heals without bruising",
                     f"serious side effects of {named} are extremely rare",
                     f"the only side effect of {named} is mild soreness - it passes in a day"][t]
            statement = f"Dry needling ({named}) has no more than mild, transient adverse events."
        elif kind == "mechanism":
            quote = [f"{named} releases the knotted {muscle} so it can get oxygen again",
                     f"the local twitch response seen with {named} resets the trigger point",
                     f"muscles' chemistry at the trigger point normalises after {named}"][t]
            statement = f"Needling works through a local mechanism in the {muscle} ({named})."
        elif kind == "etiology":
            quote = f"tight {muscle} muscles treated with {named} are the usual cause of {cond}"
            statement = f"Tight muscles cause {cond} ({named})."
        elif kind == "definition":
            quote = [f"{named} uses no drugs or injections of any kind",
                     f"unlike acupuncture, {named} is based on Western anatomy"][t % 2]
            statement = f"Dry needling ({named}) injects nothing and rests on anatomy."
        elif kind == "state-of-evidence":
            quote = f"a growing body of evidence supports {named} for {cond}"
            statement = f"Evidence for dry needling ({named}) in {cond} is growing."
        elif kind == "practice":
            quote = [f"some practitioners combine wet and dry needling in {named}",
                     f"therapists trained in {named} treat the {muscle} weekly"][t % 2]
            statement = f"Practitioners use {named} in routine care."
        else:  # procedure
            quote = [f"the therapist will keep the needle in the {muscle} for several minutes "
                     f"under {named}",
                     f"with {named}, the needle sits in a plastic guide tube over the {muscle}",
                     f"a session of {named} usually takes as little as 15 minutes"][t]
            statement = f"A session of {named} follows a set procedure on the {muscle}."
        lead = rng.choice(["", "Many clinicians say that ", "In practice, ", "We are told that ",
                           "According to the therapists we spoke to, ", "Remember that ",
                           "It is often said that "])
        tail = rng.choice(["", ", according to experienced therapists", ", for most patients",
                           " in everyday practice", ", which matters for recovery"])
        sentence = lead + quote + tail + "."
        sentence = sentence[0].upper() + sentence[1:]
        if not lead:
            quote = quote[0].upper() + quote[1:]
        if not tail and rng.random() < 0.5:
            quote += "."
        return ClaimDraft(i, rng.randrange(self.n_topics), kind, checkable, unique, quote,
                          sentence, statement, cond, out, comp)

    def allocate_links(self) -> None:
        """Spread exactly n_links distinct-study links over the claims; cover every study."""
        rng = self.rng
        claims = self.claims
        checkable = [c for c in claims if c.checkable]
        others = [c for c in claims if not c.checkable]
        for c in others:
            c.slots = rng.choice([0, 0, 1, 2])
        remaining = self.n_links - sum(c.slots for c in others)
        mean = remaining / len(checkable)
        for c in checkable:
            c.slots = max(1, min(15, round(rng.gammavariate(2.0, mean / 2.0))))
        diff = remaining - sum(c.slots for c in checkable)
        while diff:
            c = rng.choice(checkable)
            if diff > 0 and c.slots < 15:
                c.slots += 1
                diff -= 1
            elif diff < 0 and c.slots > 1:
                c.slots -= 1
                diff += 1
        included = {k for s in self.studies for k in s.includes}
        must = [s for s in self.studies if s.key not in included]
        rng.shuffle(must)
        by_topic: dict[int, list[ClaimDraft]] = {}
        for c in claims:
            if c.slots:
                by_topic.setdefault(c.topic, []).append(c)
        chosen: list[set[int]] = [set() for _ in claims]
        overflow: list[Study] = []
        cursor: dict[int, int] = {}
        for s in must:
            pool = by_topic.get(s.topic, [])
            placed = False
            for _ in range(len(pool)):
                j = cursor.get(s.topic, 0) % len(pool)
                cursor[s.topic] = j + 1
                c = pool[j]
                if len(chosen[c.index]) < c.slots:
                    chosen[c.index].add(s.index)
                    placed = True
                    break
            if not placed:
                overflow.append(s)
        if overflow:
            free = [c for c in claims if len(chosen[c.index]) < c.slots]
            rng.shuffle(free)
            for s in overflow:
                while free and len(chosen[free[-1].index]) >= free[-1].slots:
                    free.pop()
                if not free:
                    raise ValueError("more uncovered studies than evidence links")
                chosen[free[-1].index].add(s.index)
        weight = {d: 3.0 if d in REVIEWS else 2.0 if d == "rct" else 1.0 for d, _ in DESIGNS}
        topic_pool: dict[int, tuple[list[int], list[float]]] = {}
        for s in self.studies:
            ids, cum = topic_pool.setdefault(s.topic, ([], []))
            ids.append(s.index)
            cum.append((cum[-1] if cum else 0.0) + weight[s.design])
        all_ids = [s.index for s in self.studies]
        all_cum: list[float] = []
        for s in self.studies:
            all_cum.append((all_cum[-1] if all_cum else 0.0) + weight[s.design])
        for c in claims:
            got = chosen[c.index]
            ids, cum = topic_pool.get(c.topic, (all_ids, all_cum))
            tries = 0
            while len(got) < c.slots:
                tries += 1
                if rng.random() < 0.85 and tries < 200:
                    pick = rng.choices(ids, cum_weights=cum)[0]
                else:
                    pick = rng.choices(all_ids, cum_weights=all_cum)[0]
                got.add(pick)
            order = sorted(got)
            rng.shuffle(order)
            c.studies = order

    # --- rendering ----------------------------------------------------------------------

    def link(self, claim: ClaimDraft, study: Study) -> dict[str, Any]:
        rng = self.rng
        d = study.design
        if not claim.checkable or d in ("narrative-review", "laboratory", "expert-opinion",
                                        "guideline") and rng.random() < 0.6:
            stance = "context"
        else:
            stance = rng.choices(["supports", "refutes", "mixed", "context"],
                                 weights=[45, 12, 25, 18])[0]
        if d in REVIEWS or d == "rct":
            certainty = rng.choices(["high", "moderate", "low", "very-low"],
                                    weights=[4, 18, 50, 28])[0]
        else:
            certainty = rng.choices(["low", "very-low"], weights=[25, 75])[0]
        out: dict[str, Any] = {"study": study.key, "stance": stance, "certainty": certainty}
        if rng.random() < 0.8:
            out["outcome"] = ", ".join(rng.sample(OUTCOMES, rng.randint(1, 2)))
        if rng.random() < 0.5:
            out["follow_up"] = rng.choice(LINK_FOLLOW_UPS)
        if rng.random() < 0.85:
            out["locator"] = rng.choice(LOCATORS)
        out["note"] = self.sentences(1, 3)
        start = 4 if d == "rct" else 2 if d in PRIMARY or d == "case-report" else None
        if start is not None and start > RANK[certainty]:
            out["downgrades"] = DOWNGRADES[start - RANK[certainty]]
        return out

    def claims_data(self) -> list[dict[str, Any]]:
        rng = self.rng
        out = []
        for c in self.claims:
            item: dict[str, Any] = {"id": self.claim_id(c), "quote": c.quote,
                                    "statement": c.statement, "kind": c.kind,
                                    "checkable": c.checkable}
            if not c.checkable:
                item["not_checkable_reason"] = rng.choice([
                    "A description of the procedure, not a claim about its effects.",
                    "Describes what some practitioners do; no study could settle it.",
                    "A definition the article gives; nothing to check against evidence."])
            if c.kind in EFFECT_KINDS and rng.random() < 0.5:
                item["pico"] = {"population": f"People with {c.condition}",
                                "intervention": "Dry needling",
                                "comparator": c.comparator.capitalize(),
                                "outcome": c.outcome.capitalize()}
            item["evidence"] = [self.link(c, self.studies[j]) for j in c.studies]
            review: dict[str, Any] = {"status": "draft"}
            if rng.random() < 0.35:
                review = {"status": "reviewed", "reviewer": rng.choice(
                    ["A. Editor", "B. Reviewer", "C. Clinician", "D. Methodologist"]),
                    "date": dt.date(2026, rng.randint(1, 11), rng.randint(1, 28))}
            if c.checkable and rng.random() < 0.04:
                review["override"] = {"verdict": rng.choice(["limited", "mixed", "supported"]),
                                      "rationale": self.sentences(1, 2)}
            item["review"] = review
            out.append(item)
        return out

    def claim_id(self, c: ClaimDraft) -> str:
        words = re.sub(r"[^a-z0-9 ]", "", c.statement.lower().replace("-", " ")).split()
        words = [w for w in words if w not in ("the", "a", "of", "in", "is", "for", "and")]
        cid = f"{c.unique.lower()}-" + "-".join(words[:6])
        return cid[:80].rstrip("-")

    def studies_data(self) -> dict[str, Any]:
        rng = self.rng
        out: dict[str, Any] = {}
        for s in self.studies:
            a: dict[str, Any] = {"design": s.design}
            if s.participants is not None:
                a["participants"] = s.participants
            if s.design in REVIEWS:
                a["studies_included"] = len(s.includes) + rng.randint(0, 30)
            if s.design in PRIMARY or s.design in REVIEWS:
                a["population"] = f"Adults with {rng.choice(CONDITIONS)}" + (
                    f" and active trigger points in the {rng.choice(MUSCLES)}"
                    if rng.random() < 0.5 else "")
                a["intervention"] = rng.choice(INTERVENTIONS).capitalize()
                a["comparator"] = rng.choice(COMPARATORS).capitalize()
            if s.follow_up:
                a["follow_up"] = s.follow_up
            q = self.quality(s.design)
            if q:
                a["quality"] = q
            if s.includes:
                a["includes"] = list(s.includes)
            a["summary"] = self.sentences(2, 4)
            if rng.random() < 0.3:
                a["caveat"] = self.sentences(1, 2)
            a["verified"] = [self.verification(s) for _ in range(rng.choice([1, 1, 2, 2, 3, 4]))]
            out[s.key] = a
        return out

    def quality(self, design: str) -> dict[str, str] | None:
        rng = self.rng
        if design == "rct" and rng.random() < 0.6:
            if rng.random() < 0.5:
                return {"tool": "PEDro", "rating": f"{rng.randint(3, 10)}/10"}
            return {"tool": "RoB 2", "rating": rng.choice(["low", "some concerns", "high"]),
                    "source": "the including review"}
        if design in REVIEWS and rng.random() < 0.6:
            return {"tool": "AMSTAR 2",
                    "rating": rng.choice(["high", "moderate", "low", "critically low"])}
        if design in ("non-randomised-trial", "cohort") and rng.random() < 0.5:
            return {"tool": "ROBINS-I", "rating": rng.choice(["low", "moderate", "serious",
                                                              "critical"])}
        return None

    def verification(self, s: Study) -> dict[str, Any]:
        rng = self.rng
        fields = dict(s.fields)
        url = rng.choice([
            "https://pubmed.ncbi.nlm.nih.gov/"
            f"{fields.get('pmid', rng.randint(10 ** 7, 4 * 10 ** 7))}/",
            f"https://doi.org/{fields['doi']}",
            f"https://pmc.ncbi.nlm.nih.gov/articles/PMC{rng.randint(1000000, 9999999)}",
            f"https://search.pedro.org.au/search-results/record-detail/{rng.randint(1000, 99999)}",
            f"https://www.example-publisher.org/article/{fields['doi']}"])
        v: dict[str, Any] = {"url": url, "date": dt.date(2026, rng.randint(1, 11),
                                                         rng.randint(1, 28)),
                             "fields": sorted(rng.sample(VERIFY_FIELDS, rng.randint(2, 8)),
                                              key=VERIFY_FIELDS.index)}
        if rng.random() < 0.1:
            v["note"] = self.sentence(6, 14)
        return v

    def article_text(self) -> str:
        rng = self.rng
        parts = ["Med24 Public Health Hub", "",
                 "Your go-to source for comprehensive", "information on global health", "",
                 f"Dry Needling Explained at Scale: {self.n_claims} Statements to Check", ""]
        i = 0
        while i < len(self.claims):
            n = rng.randint(1, 4)
            sentences = []
            for c in self.claims[i:i + n]:
                if rng.random() < 0.6:
                    sentences.append(self.filler_sentence())
                sentences.append(c.sentence)
            if rng.random() < 0.5:
                sentences.append(self.filler_sentence())
            para = " ".join(sentences)
            if rng.random() < 0.5:  # typography as published, hard-wrapped
                para = para.replace("'", "\u2019").replace(" - ", " \u2014 ")
                para = "\n".join(textwrap.wrap(para, width=100, break_on_hyphens=False,
                                               break_long_words=False))
            parts += [para, ""]
            i += n
        parts.append("Scroll to Top")
        return "\n".join(parts) + "\n"

    def filler_sentence(self) -> str:
        return self.sentence(10, 26)

    # --- output -------------------------------------------------------------------------

    def generate(self) -> dict[str, str]:
        self.make_studies()
        self.make_claims()
        self.allocate_links()
        article = self.article_text()
        self.verify_article(article)
        studies = self.studies_data()
        claims = self.claims_data()
        order = self.studies[:]
        self.rng.shuffle(order)  # a reference manager's order, not the appraisal order
        bib = self.bibtex(order)
        doc = {
            "$schema": "./schema/claims.schema.json",
            "schema_version": 1,
            "article": {
                "id": f"synthetic-scale-{self.scale}",
                "title": f"Dry Needling Explained at Scale: {self.n_claims} Statements to Check",
                "publisher": "Med24 Public Health Hub",
                "url": None,
                "url_note": "Synthetic article generated for benchmarks; it was never published.",
                "retrieved": dt.date(2026, 11, 1),
                "text": ARTICLE_FILE,
                "sha256": hashlib.sha256(article.encode("utf-8")).hexdigest(),
            },
            "settings": {"short_term_weeks": 12, "long_term_weeks": 52,
                         "supported_min_certainty": "moderate", "supported_min_studies": 2,
                         "mixed_margin": 1},
            "studies": studies,
            "claims": claims,
        }
        header = (f"# Synthetic knowledge base (benchmarks/generate.py, scale {self.scale}, "
                  f"seed {self.seed}, generator v{GENERATOR_VERSION}).\n"
                  f"# {self.n_claims} claims, {self.n_studies} studies, {self.n_links} evidence "
                  f"links. Do not edit: regenerate.\n")
        claims_yaml = header + yaml.dump(doc, Dumper=_Dumper, sort_keys=False,
                                         allow_unicode=True, width=100,
                                         default_flow_style=False)
        return {"claims.yaml": claims_yaml, "references.bib": bib, ARTICLE_FILE: article}

    def verify_article(self, article: str) -> None:
        """Each claim's made-up name occurs once in the article, so its quote does too."""
        counts = Counter(re.findall(r"[A-Za-z]+", article))
        for c in self.claims:
            if counts[c.unique] != 1:
                raise AssertionError(f"'{c.unique}' occurs {counts[c.unique]} times")
            if c.unique.lower() in WORDS:
                raise AssertionError(f"'{c.unique}' is a filler word")

    def bibtex(self, order: list[Study]) -> str:
        out = [f"% Synthetic bibliography (benchmarks/generate.py, scale {self.scale}, "
               f"seed {self.seed}).\n% Exported in the style of Better BibTeX for Zotero.\n"]
        for s in order:
            lines = [f"@{s.entry_type}{{{s.key},"]
            for name, value in s.fields:
                if name == "month":
                    lines.append(f"  {name} = {value},")  # a BibTeX month macro, unbraced
                else:
                    lines.append(f"  {name} = {{{value}}},")
            lines.append("}")
            out.append("\n".join(lines) + "\n")
        return "\n".join(out)


def _a(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """claims.yaml refuses anchors and aliases: never emit them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_DOTLESS = {"\\i": "i", "\\j": "j", "\\o": "o", "\\O": "O", "\\aa": "aa", "\\AA": "AA",
            "\\ss": "ss", "\\ae": "ae", "\\AE": "AE", "\\l": "l", "\\L": "L"}


def _ascii(text: str) -> str:
    """Transliterate BibTeX LaTeX to ASCII as Better BibTeX does for keys (\\'{a} -> a)."""
    text = re.sub(r"\\(aa|AA|ss|ae|AE|[ijoOlL])(?![a-zA-Z])", lambda m: _DOTLESS["\\" + m[1]], text)
    return re.sub(r"\\[a-zA-Z]+|\\.|[{}]", "", text)


def generate(scale: int, out: str, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Write the base for `scale` into folder `out`; return its sizes."""
    gen = Generator(scale, seed)
    files = gen.generate()
    os.makedirs(out, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(out, name), "wb") as fh:
            fh.write(text.encode("utf-8"))
    return {"scale": scale, "seed": seed, "claims": len(gen.claims),
            "studies": len(gen.studies),
            "links": sum(len(c.studies) for c in gen.claims),
            "includes": sum(len(s.includes) for s in gen.studies),
            **{f"bytes_{name}": len(text.encode("utf-8")) for name, text in files.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="1 ~ the bundled base (default 1)")
    parser.add_argument("--out", required=True, help="folder to write the base into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    info = generate(args.scale, args.out, args.seed)
    print(" ".join(f"{k}={v}" for k, v in info.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
