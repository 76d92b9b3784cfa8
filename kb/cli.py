"""The `kb` command: each subcommand loads the knowledge base, calls one library function,
prints the result and exits (0 when fine, 1 when the base has errors, 2 on usage errors).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import getpass
import importlib.metadata
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence

from kb import exports
from kb.anchors import sha256_text
from kb.cache import load_graded, load_kb_cached
from kb.checks import left_to_do
from kb.claims import json_schema
from kb.edit import (
    LINK_FIELDS,
    OVERRIDE_VERDICTS,
    Base,
    NotEditable,
    Proposal,
    clear_override,
    describe,
    open_base,
    remove_link,
    save,
    set_link,
    set_override,
    set_review,
)
from kb.grading import Grade, grade_all
from kb.importer import import_into, read_incoming
from kb.load import BIB_FILE, CLAIMS_FILE, load_kb, missing_folder
from kb.model import Certainty, KnowledgeBase, ReviewStatus, Stance
from kb.problems import FILE_LEVEL, Report
from kb.sources import read_text
from kb.text import safe_url
from kb.writes import WriteRefused, atomic_write

Handler = Callable[[argparse.Namespace], int]


def _load(args: argparse.Namespace) -> tuple[KnowledgeBase, Report]:
    kb, report, _ = _load_graded(args, graded=False)
    return kb, report


def _load_graded(args: argparse.Namespace, graded: bool = True
                 ) -> tuple[KnowledgeBase, Report, dict[str, Grade]]:
    """The base in --kb (or DIR), its report and, when `graded`, its grades (read back from
    the cache when these files were graded before; {} when not asked for)."""
    if getattr(args, "dir", None):
        args.kb = args.dir
    progress = _terminal_progress() if sys.stderr.isatty() else (lambda stage: None)
    try:
        if args.no_cache:
            kb, report = load_kb(args.kb, progress)
            return kb, report, grade_all(kb, report) if graded else {}
        if graded:
            return load_graded(args.kb, progress=progress)
        return (*load_kb_cached(args.kb, progress=progress), {})
    finally:
        progress("")


def _terminal_progress() -> Callable[[str], None]:
    """Stage messages on one terminal line, with the time spent so far; cleared at the end."""
    start = time.perf_counter()

    def show(stage: str) -> None:
        if stage:
            sys.stderr.write(f"\r\033[Kkb: {stage}… ({time.perf_counter() - start:.1f} s)")
        else:
            sys.stderr.write("\r\033[K")
        sys.stderr.flush()
    return show


def _emit(text: str, args: argparse.Namespace) -> None:
    out = getattr(args, "output", None)
    if out:
        atomic_write(out, text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _stop_on_errors(report: Report) -> int | None:
    """Commands other than `check` refuse a base that does not load at all."""
    if any(p.code in FILE_LEVEL for p in report.errors):
        sys.stderr.write(report.render() + "\n")
        sys.stderr.write("kb: the knowledge base could not be loaded; run 'kb check'\n")
        return 1
    return None


def cmd_check(args: argparse.Namespace) -> int:
    _, report = _load(args)
    if args.format == "json":
        _emit(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), args)
    else:
        _emit("\n".join([report.render(), *left_to_do(report)]), args)
    return 0 if report.valid else 1


def cmd_new(args: argparse.Namespace) -> int:
    from kb.scaffold import ArticleInfo, ScaffoldError, create_base, new_base_files
    text, problems = read_text(args.article, args.article)
    if text is None:
        sys.stderr.write(Report.of(problems).render() + "\n")
        return 1
    if args.url and not safe_url(args.url):
        sys.stderr.write(f"kb new: --url must be an http:// or https:// address, not "
                         f"'{args.url}'\n")
        return 2
    try:
        retrieved = dt.date.fromisoformat(args.retrieved) if args.retrieved else None
    except ValueError:
        sys.stderr.write(f"kb new: --retrieved must be a date like 2026-12-01, not "
                         f"'{args.retrieved}'\n")
        return 2
    info = ArticleInfo(args.title, args.publisher, args.url, retrieved)
    try:
        files = new_base_files(os.path.basename(args.article), text, info)
        report = create_base(args.dir, files)
    except ScaffoldError as exc:
        sys.stderr.write(f"kb new: {exc}\n")
        return 1
    claims = files[CLAIMS_FILE].count("\n  - id: ")
    _emit("\n".join([
        f"Made {args.dir}: {', '.join(sorted(files))}",
        f"{claims} draft claims proposed in {CLAIMS_FILE}.",
        *left_to_do(report),
        f"Next: edit {os.path.join(args.dir, CLAIMS_FILE)}, bring in references with "
        f"'kb import FILE.ris --kb {args.dir}', then run 'kb check {args.dir}'."]), args)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    _emit(json.dumps(json_schema(), indent=2, ensure_ascii=False), args)
    return 0


def cmd_hash(args: argparse.Namespace) -> int:
    kb, report = _load(args)
    path = args.file or (os.path.join(args.kb, kb.article.text) if kb.article else None)
    if path is None:
        sys.stderr.write("kb hash: no article in claims.yaml; pass the text file\n")
        return 2
    text, problems = read_text(path, path)
    if text is None:
        sys.stderr.write(Report.of(problems).render() + "\n")
        return 1
    _emit(sha256_text(text), args)
    return 0


def cmd_verdicts(args: argparse.Namespace) -> int:
    kb, report, grades = _load_graded(args)
    if (code := _stop_on_errors(report)) is not None:
        return code
    _emit(exports.verdicts_as(args.format, kb, grades), args)
    return 0


def cmd_sof(args: argparse.Namespace) -> int:
    from kb.sof import sof_records
    kb, report = _load(args)
    if (code := _stop_on_errors(report)) is not None:
        return code
    if args.claim is not None and kb.claim(args.claim) is None:
        sys.stderr.write(f"kb sof: no claim '{args.claim}' in this knowledge base\n")
        return 2
    records = sof_records(kb, None if args.claim is None else [args.claim])
    _emit(exports.sof_as(args.format, records), args)
    return 0


def cmd_impact(args: argparse.Namespace) -> int:
    from kb.graph import claims_resting_on
    kb, report = _load(args)
    if (code := _stop_on_errors(report)) is not None:
        return code
    if args.key not in kb.references and args.key not in kb.studies:
        sys.stderr.write(f"kb impact: no study '{args.key}' in this knowledge base\n")
        return 2
    rows = claims_resting_on(kb, args.key, report)
    _emit(exports.impact_as(args.format, args.key, rows), args)
    return 0


def cmd_overlap(args: argparse.Namespace) -> int:
    from kb.graph import build_graph, review_overlap
    kb, report = _load(args)
    if (code := _stop_on_errors(report)) is not None:
        return code
    rows = review_overlap(build_graph(kb))
    _emit(exports.overlap_as(args.format, rows), args)
    return 0


def cmd_contradictions(args: argparse.Namespace) -> int:
    from kb.graph import contradictions
    kb, report = _load(args)
    if (code := _stop_on_errors(report)) is not None:
        return code
    _emit(exports.contradictions_as(args.format, contradictions(kb)), args)
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    from kb.graph import evidence_gaps
    kb, report = _load(args)
    if (code := _stop_on_errors(report)) is not None:
        return code
    _emit(exports.gaps_as(args.format, evidence_gaps(kb)), args)
    return 0


def cmd_orphans(args: argparse.Namespace) -> int:
    from kb.graph import build_graph, orphans
    kb, report = _load(args)
    if (code := _stop_on_errors(report)) is not None:
        return code
    _emit(json.dumps(orphans(build_graph(kb)), indent=2), args)
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    from kb.graph import build_graph
    kb, report, grades = _load_graded(args)
    if (code := _stop_on_errors(report)) is not None:
        return code
    graph = build_graph(kb, grades)
    _emit(exports.graph_as(args.format, graph), args)
    return 0


def _file_bytes(root: str, names: list[str]) -> list[bytes]:
    out = []
    for name in names:
        try:
            with open(os.path.join(root, name), "rb") as fh:
                out.append(fh.read())
        except OSError:
            out.append(b"")
    return out


def _today() -> str:
    return dt.date.today().isoformat()


def cmd_report(args: argparse.Namespace) -> int:
    from kb.report import ReportMeta, base_version, render_html, render_markdown
    kb, report, grades = _load_graded(args)
    if (code := _stop_on_errors(report)) is not None:
        return code
    names = [CLAIMS_FILE, BIB_FILE] + ([kb.article.text] if kb.article else [])
    meta = ReportMeta(generated=args.date or _today(),
                      version=base_version(*_file_bytes(args.kb, names)),
                      tool_version=_tool_version())
    render = render_html if args.format == "html" else render_markdown
    _emit(render(kb, grades, meta), args)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from kb.claimreview import claim_reviews
    from kb.csl import to_csl_json
    from kb.graph import build_graph
    kb, report = _load(args)
    if (code := _stop_on_errors(report)) is not None:
        return code
    if args.what == "claimreview":
        site = args.site_url or os.environ.get("KB_SITE_URL")
        if not site or not safe_url(site):
            sys.stderr.write("kb export claimreview: give --site-url https://... (where the "
                             "dashboard is published; each review links to ?claim=ID there)\n")
            return 2
        data = claim_reviews(kb, grade_all(kb, report), site_url=site, author=args.author,
                             date=args.date or _today())
        _emit(json.dumps(data, indent=2, ensure_ascii=False), args)
    elif args.what == "csl":
        _emit(json.dumps(to_csl_json(list(kb.references.values())), indent=2,
                         ensure_ascii=False), args)
    else:
        graph = build_graph(kb, grade_all(kb, report))
        _emit(exports.graph_as(args.what, graph), args)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.kb):
        sys.stderr.write(missing_folder(args.kb).render() + "\n")
        return 1
    incoming, problems = read_incoming(args.file)
    try:
        plan = import_into(os.path.join(args.kb, BIB_FILE), incoming, dry_run=args.dry_run)
    except ValueError as exc:
        sys.stderr.write(f"kb import: {exc}\n")
        return 1
    plan.problems.extend(problems)
    header = "Dry run: nothing written.\n" if args.dry_run else ""
    _emit(header + plan.render(), args)
    return 1 if any(p.is_error for p in plan.problems) and not plan.added else 0


def cmd_extract(args: argparse.Namespace) -> int:
    from kb.extract import propose, recall, to_yaml
    text, problems = read_text(args.article, args.article)
    if text is None:
        sys.stderr.write(Report.of(problems).render() + "\n")
        return 1
    quotes: list[str] = []
    if os.path.exists(os.path.join(args.kb, CLAIMS_FILE)):
        kb, _ = _load(args)
        quotes = [c.quote for c in kb.claims]
    if args.measure:
        _emit(json.dumps(recall(text, quotes), indent=2, ensure_ascii=False), args)
        return 0
    _emit(to_yaml(propose(text, quotes, include_covered=args.all)), args)
    return 0


def _editor(args: argparse.Namespace) -> str:
    return args.by or os.environ.get("KB_EDITOR") or getpass.getuser()


def _edit(args: argparse.Namespace, make: Callable[[Base], Proposal]) -> int:
    """Open the base, work the change out, refuse it or save it, say what it did."""
    path = os.path.join(args.kb, CLAIMS_FILE)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()  # before loading: a save must find the file as it was read here
    except OSError as exc:
        sys.stderr.write(f"kb {args.command}: cannot read {path}: {exc.strerror}\n")
        return 1
    kb, report = _load(args)
    if (code := _stop_on_errors(report)) is not None:
        return code
    try:
        proposal = make(open_base(args.kb, kb, report, raw))
        if not proposal.ok:
            sys.stderr.write(proposal.render_problems() + f"\nkb {args.command}: the change "
                             "would add these errors; nothing was written\n")
            return 1
        saved = save(proposal, _editor(args))
    except (NotEditable, WriteRefused, ValueError) as exc:
        sys.stderr.write(f"kb {args.command}: {exc}\n")
        return 1
    _emit(describe(saved.proposal), args)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    return _edit(args, lambda base: set_review(
        base, args.claim, args.status, reviewer=_editor(args), note=args.note,
        today=dt.date.today()))


def cmd_override(args: argparse.Namespace) -> int:
    if args.clear:
        if args.verdict or args.reason:
            sys.stderr.write("kb override: --clear takes no verdict or reason\n")
            return 2
        return _edit(args, lambda base: clear_override(base, args.claim))
    if not args.verdict or not (args.reason or "").strip():
        sys.stderr.write("kb override: give a VERDICT and --reason TEXT (or --clear)\n")
        return 2
    return _edit(args, lambda base: set_override(base, args.claim, args.verdict, args.reason))


def cmd_link(args: argparse.Namespace) -> int:
    values = {name: getattr(args, name) for name in LINK_FIELDS}
    return _edit(args, lambda base: set_link(base, args.claim, args.study, **values))


def cmd_unlink(args: argparse.Namespace) -> int:
    return _edit(args, lambda base: remove_link(base, args.claim, args.study))


def cmd_diff(args: argparse.Namespace) -> int:
    from kb.diff import (
        Version,
        VersionError,
        compare,
        as_json as diff_json,
        as_table as diff_table,
        load_version,
    )
    try:
        old = load_version(args.old, args.kb)
        if args.new is None:
            kb, report = _load(args)
            new = Version(args.kb, kb, report, grade_all(kb, report))
        else:
            new = load_version(args.new, args.kb)
    except VersionError as exc:
        sys.stderr.write(f"kb diff: {exc}\n")
        return 2
    for version in (old, new):
        if (code := _stop_on_errors(version.report)) is not None:
            sys.stderr.write(f"kb diff: the version {version.label} could not be loaded\n")
            return code
    changes = compare(old, new)
    new_label = args.new or f"{args.kb} (as it is)"
    if args.format == "json":
        _emit(json.dumps(diff_json(changes, old.label, new_label), indent=2,
                         ensure_ascii=False), args)
    else:
        _emit(diff_table(changes, old.label, new_label), args)
    return 0


def _tool_version() -> str:
    try:
        return importlib.metadata.version("dn-evidence-kb")
    except importlib.metadata.PackageNotFoundError:
        return ""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kb", description="Evidence-review knowledge base: check, grade and explore claims.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Handler, help_text: str,
            formats: Sequence[str] = (), default: str | None = None) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--kb", default=".", metavar="DIR",
                       help="knowledge-base folder with claims.yaml, references.bib and the "
                            "article text (default: current directory)")
        p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
        p.add_argument("--no-cache", action="store_true",
                       help="parse every file afresh, neither reading nor writing the cache")
        if formats:
            p.add_argument("--format", choices=formats, default=default or formats[0],
                           help=f"output format (default: {default or formats[0]})")
        p.set_defaults(handler=handler)
        return p

    p = add("check", cmd_check,
            "Validate the knowledge base and list every problem with its location.",
            ("text", "json"))
    p.add_argument("dir", nargs="?", metavar="DIR", help="the knowledge-base folder (as --kb)")
    p = sub.add_parser("new", help="Start a knowledge base for an article: a new folder with "
                                   "the text, claims.yaml with draft claims, references.bib.",
                       description="Start a knowledge base for an article: a new folder with "
                                   "the text, claims.yaml with draft claims, references.bib.")
    p.add_argument("article", help="the article's text file (copied into DIR)")
    p.add_argument("dir", metavar="DIR", help="the new folder (must not exist, or be empty)")
    p.add_argument("--title", help="the article's title (default: its first line)")
    p.add_argument("--publisher", help="who published it")
    p.add_argument("--url", help="where it was published (https://...)")
    p.add_argument("--retrieved", metavar="YYYY-MM-DD", help="when the text was retrieved")
    p.add_argument("-o", "--output", metavar="FILE", help="write the summary to FILE")
    p.set_defaults(handler=cmd_new)
    add("schema", cmd_schema, "Print the JSON Schema of claims.yaml.")
    p = add("hash", cmd_hash, "Print the SHA-256 of the article text, for sha256: under article: in claims.yaml.")
    p.add_argument("file", nargs="?", help="text file (default: the article in claims.yaml)")
    add("verdicts", cmd_verdicts, "Grade every claim and print the verdicts with their reasons.",
        ("table", "json", "csv", "markdown"))
    p = add("sof", cmd_sof,
            "Summary of findings: one row per link with a finding (effect, participants, "
            "certainty, downgrades, follow-up).", ("table", "json", "csv"))
    p.add_argument("claim", nargs="?", help="claim id (default: every effect or safety claim)")
    p = add("impact", cmd_impact,
            "Show which claims rest on a study and how their verdicts change without it.",
            ("table", "json"))
    p.add_argument("key", help="BibTeX key of the study")
    add("overlap", cmd_overlap,
        "Show primary studies shared by reviews cited for the same claim (with CCA).",
        ("table", "json"))
    add("contradictions", cmd_contradictions,
        "Claims the article contradicts itself on: declared (contradicts:) and candidates "
        "(a study supports one and refutes the other).", ("table", "json"))
    add("gaps", cmd_gaps, "Evidence gap matrix: claims x follow-up horizon.",
        ("table", "json", "csv"))
    add("orphans", cmd_orphans, "Studies cited by nothing and checkable claims with no evidence.")
    add("graph", cmd_graph, "Export the evidence graph (GraphML for Gephi/Cytoscape, or JSON).",
        ("graphml", "json"))
    p = add("report", cmd_report, "Write the fact-check report (one self-contained document).",
            ("markdown", "html"))
    p.add_argument("--date", help="report date (default: today), for reproducible output")
    p = add("export", cmd_export,
            "Export ClaimReview JSON-LD, CSL-JSON of the bibliography, or the graph.")
    p.add_argument("what", choices=("claimreview", "csl", "graphml", "json"))
    p.add_argument("--site-url", help="claimreview: where the dashboard is published "
                                      "(default: $KB_SITE_URL)")
    p.add_argument("--author", default="Evidence review team",
                   help="claimreview: the reviewing organisation's name")
    p.add_argument("--date", help="claimreview: datePublished for unreviewed claims "
                                  "(default: today)")
    p = add("import", cmd_import,
            "Merge references from a RIS or BibTeX file into references.bib (duplicates skipped).")
    p.add_argument("file", help="a .ris (PubMed, EndNote, publishers) or .bib file")
    p.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    p = add("extract", cmd_extract,
            "Propose claim stubs (YAML) for an article's checkworthy sentences.")
    p.add_argument("article", help="the article's text file")
    p.add_argument("--all", action="store_true",
                   help="also propose sentences an existing claim already covers")
    p.add_argument("--measure", action="store_true",
                   help="print recall against the existing claims instead of stubs")

    def editing(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = add(name, handler, help_text + " Writes claims.yaml (only the claim's lines) "
                "and appends the change to review-log.jsonl.")
        p.add_argument("--by", metavar="NAME",
                       help="who makes the change (default: $KB_EDITOR, else the login name)")
        p.add_argument("claim", help="the claim's id")
        return p

    p = add("diff", cmd_diff, "Compare two versions of the base (git revisions or folders): "
            "verdicts, certainties, long-term flags, overrides and links, with why.",
            ("table", "json"))
    p.add_argument("old", help="a git revision of the repository holding --kb (HEAD~3, a tag, "
                               "a commit), or the path of another base folder")
    p.add_argument("new", nargs="?", help="the same kinds (default: the files in --kb as "
                                          "they are)")

    p = editing("review", cmd_review, "Set a claim's review status, reviewer and date.")
    p.add_argument("--status", required=True, choices=[s.value for s in ReviewStatus])
    p.add_argument("--note", help="the review note ('' removes it)")
    p = editing("override", cmd_override,
                "Record an editor's verdict beside the computed one, or clear it.")
    p.add_argument("verdict", nargs="?", choices=OVERRIDE_VERDICTS, metavar="VERDICT",
                   help="one of: " + ", ".join(OVERRIDE_VERDICTS))
    p.add_argument("--reason", help="why the editor overrides the computed verdict (required)")
    p.add_argument("--clear", action="store_true", help="remove the override")
    p = editing("link", cmd_link, "Add an evidence link to a claim, or change it.")
    p.add_argument("study", help="the study's BibTeX key")
    p.add_argument("--stance", choices=[s.value for s in Stance])
    p.add_argument("--certainty", choices=[c.value for c in Certainty])
    for name in ("outcome", "follow-up", "locator", "note"):
        p.add_argument(f"--{name}", dest=name.replace("-", "_"),
                       help=f"the link's {name} ('' removes it)")
    p = editing("unlink", cmd_unlink, "Remove a claim's evidence link to a study.")
    p.add_argument("study", help="the study's BibTeX key")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # bibtexparser logs each failed block; `kb check` already reports them with their lines.
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except BrokenPipeError:
        return 0
    except WriteRefused as exc:
        sys.stderr.write(f"kb {args.command}: {exc}\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"kb {args.command}: {exc.strerror}: {exc.filename}\n")
        return 2


def entry() -> None:
    """The `kb` program (console script and `python -m kb.cli`).

    A short-lived process that builds a large base of long-lived objects and leaves no
    garbage cycles: the cyclic collector runs rarely (thresholds as mypy sets them), or it
    re-walks the whole base dozens of times while it loads. A library caller's process keeps
    its own settings.
    """
    gc.set_threshold(200_000, 30, 30)
    sys.exit(main())


if __name__ == "__main__":
    entry()
