"""A new knowledge base for an article: the files of a starting base (`kb new`), built as text,
checked with the real loader in a staging folder, then moved into place in one rename.

The claims file holds the article block with its hash, the default settings written out,
empty `studies:` and the claims `kb.extract` proposes as `draft` entries anchored to the
article's exact words, so that `kb check` passes and lists what is left to do as warnings.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from kb.anchors import sha256_text
from kb.claims import json_schema
from kb.extract import _DIRECTIVE, _META, draft_claims_yaml, paragraphs, propose, yaml_str
from kb.load import BIB_FILE, CLAIMS_FILE, load_kb
from kb.model import Settings
from kb.problems import Report

SCHEMA_PATH = "schema/claims.schema.json"
TITLE_MAX_CHARS = 200


@dataclass(frozen=True)
class ArticleInfo:
    """What the editor knows about the article; missing fields get placeholders to fill in."""

    title: str | None = None
    publisher: str | None = None
    url: str | None = None
    retrieved: dt.date | None = None


def article_id(title: str) -> str:
    """A claims-file article id (lower-case words joined by hyphens) from the title."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words)[:80].strip("-") or "article"


def is_assertion_like(para: str) -> bool:
    """A paragraph of sentences rather than a headline."""
    return bool(re.search(r"[.!?][\"\u201d')\]]*(\s|$)", para)) and len(para.split()) > 16


def guess_title(text: str) -> str:
    """The article's headline: its first heading-like line that is not a link or menu item
    ("Skip to main content"), else its first line."""
    paras = [p.strip() for p in paragraphs(text) if p.strip()]
    for para in paras:
        if not is_assertion_like(para) and not _DIRECTIVE.match(para) and not _META.search(para):
            return para[:TITLE_MAX_CHARS]
    return paras[0][:TITLE_MAX_CHARS] if paras else "Untitled article"


def claims_yaml(text_name: str, text: str, info: ArticleInfo) -> str:
    """The starting claims.yaml for an article (its text in file `text_name`)."""
    title = info.title or guess_title(text)
    settings = Settings()
    lines = [
        f"$schema: ./{SCHEMA_PATH}",
        "schema_version: 1",
        "article:",
        f"  id: {article_id(title)}",
        f"  title: {yaml_str(title)}" + ("" if info.title else "  # TODO check the title"),
        f"  publisher: {yaml_str(info.publisher or 'unknown')}"
        + ("" if info.publisher else "  # TODO the publisher's name"),
    ]
    if info.url:
        lines.append(f"  url: {yaml_str(info.url)}")
    else:
        lines += ["  url: null  # TODO where the article was published (https://...)",
                  f"  url_note: {yaml_str('The address was not given when the base was made.')}"]
    if info.retrieved:
        lines.append(f"  retrieved: {info.retrieved.isoformat()}")
    lines += [
        f"  text: {yaml_str(text_name)}",
        f"  sha256: {sha256_text(text)}",
        "settings:  # the verdict thresholds (README: How verdicts are decided)",
        f"  short_term_weeks: {settings.short_term_weeks:g}",
        f"  long_term_weeks: {settings.long_term_weeks:g}",
        f"  supported_min_certainty: {settings.supported_min_certainty.value}",
        f"  supported_min_studies: {settings.supported_min_studies}",
        f"  mixed_margin: {settings.mixed_margin}",
        "studies: {}  # appraisals by BibTeX key: design, verified, ...",
    ]
    proposals = propose(text)
    if proposals:
        lines += ["# Proposed by `kb extract`: check each quote, say the statement plainly, check",
                  "# the kind, link evidence; delete what is not a claim.",
                  "claims:", *draft_claims_yaml(proposals)]
    else:
        lines.append("claims: []")
    return "\n".join(lines) + "\n"


class ScaffoldError(Exception):
    """The base could not be made; nothing was left behind."""


def new_base_files(text_name: str, text: str, info: ArticleInfo) -> dict[str, str]:
    """Every file of a new base, by path relative to its folder."""
    if text_name in (CLAIMS_FILE, BIB_FILE, ".gitignore", "schema") or "/" in text_name:
        raise ScaffoldError(f"the article text cannot be called '{text_name}' in the new base; "
                            "rename the file")
    return {
        text_name: text,
        CLAIMS_FILE: claims_yaml(text_name, text, info),
        BIB_FILE: ("% The references of this knowledge base, as a reference manager exports them.\n"
                   "% Add them with: kb import FILE.ris (or FILE.bib)\n"),
        SCHEMA_PATH: json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n",
        ".gitignore": ".kb-cache/\n",
    }


def create_base(folder: str, files: Mapping[str, str]) -> Report:
    """Write `files` into a new folder: staged beside it, loaded and checked there, then moved
    into place with one rename. Refuses an existing folder that is not empty, and leaves
    nothing behind when the staged base has errors (the report says which)."""
    folder = os.path.abspath(folder)
    if os.path.exists(folder) and (not os.path.isdir(folder) or os.listdir(folder)):
        raise ScaffoldError(f"{folder} exists and is not an empty folder; nothing was written")
    parent = os.path.dirname(folder)
    os.makedirs(parent, exist_ok=True)
    stage = os.path.join(parent, f".kb-new-{secrets.token_hex(6)}")
    os.mkdir(stage)  # created with the user's umask, like any folder they make
    try:
        for rel, content in files.items():
            path = os.path.join(stage, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
        _, report = load_kb(stage)
        if not report.valid:
            raise ScaffoldError("the new base would not load cleanly; nothing was written:\n"
                                + Report.of(report.errors).render())
        shutil.rmtree(os.path.join(stage, ".kb-cache"), ignore_errors=True)
        if os.path.isdir(folder):
            os.rmdir(folder)  # empty, checked above; rename needs the name free
        os.replace(stage, folder)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return report
