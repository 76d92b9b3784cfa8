"""The claim page's editor: review, override, evidence links and new studies, with a live
preview of the verdict, saved through `kb.edit` (all logic lives there).

Read-only unless the operator switches edit mode on: `KB_EDIT=1` (anyone who can open the
dashboard may edit), or a password in `KB_EDIT_PASSWORD` or Streamlit secrets
(`kb_edit_password`), asked for in the sidebar and compared in constant time. Every write is
guarded by `_editor()`, which checks the operator's setting again on each call, so no URL,
query parameter or session value reaches a write without it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from collections.abc import Callable

import streamlit as st

from dashboard.data import Loaded, after_save, kb_dir, stamps
from dashboard.ui import md_escape
from kb.edit import (
    LINK_FIELDS,
    OVERRIDE_VERDICTS,
    Base,
    Conflict,
    NotEditable,
    Proposal,
    WriteRefused,
    add_studies,
    clear_override,
    describe,
    entry_diff,
    find_studies,
    read_log,
    record_changes,
    record_verdicts,
    remove_link,
    save,
    set_link,
    set_override,
    set_review,
)
from kb.claimtext import find_claim
from kb.load import CLAIMS_FILE
from kb.model import Certainty, Claim, ReviewStatus, Stance
from kb.writes import digest

_UNLOCKED = "_kb_edit_unlocked"   # an HMAC of the password, never a plain flag
_NAME = "kb_editor_name"


def _password() -> str | None:
    if pw := os.environ.get("KB_EDIT_PASSWORD"):
        return pw
    try:
        value = st.secrets.get("kb_edit_password")
    except Exception:  # no secrets file: Streamlit raises on access
        return None
    return str(value) if value else None


def _token(password: str) -> str:
    return hmac.new(password.encode(), b"kb-edit-session", hashlib.sha256).hexdigest()


def edit_mode() -> str:
    """What the operator allows: "off", "open" (KB_EDIT=1) or "password"."""
    if _password():
        return "password"
    return "open" if os.environ.get("KB_EDIT") == "1" else "off"


def _unlocked() -> bool:
    mode = edit_mode()
    if mode == "open":
        return True
    if mode == "password":
        password = _password() or ""
        return hmac.compare_digest(str(st.session_state.get(_UNLOCKED, "")), _token(password))
    return False


def _editor() -> str | None:
    """The editor's name when this session may write now, else None (checked per call)."""
    if not _unlocked():
        return None
    name = str(st.session_state.get(_NAME, "")).strip()
    return name or None


def _login() -> bool:
    """The sidebar's edit-mode controls; True when this session may edit."""
    mode = edit_mode()
    if mode == "off":
        return False
    with st.sidebar:
        st.markdown("**Edit mode**")
        if mode == "password" and not _unlocked():
            given = st.text_input("Editor password", type="password", key="kb_edit_password")
            if given:
                if hmac.compare_digest(given.encode(), (_password() or "").encode()):
                    st.session_state[_UNLOCKED] = _token(_password() or "")
                    st.rerun()
                st.error("Wrong password.")
            return False
        st.text_input("Your name (recorded with each change)", key=_NAME)
        if mode == "password" and st.button("Leave edit mode", key="kb_edit_logout"):
            st.session_state.pop(_UNLOCKED, None)
            st.rerun()
    return True


def render(data: Loaded, claim: Claim) -> None:
    """The claim's change history, and in edit mode the editor (one call on the claim page)."""
    if _login():
        _editor_panel(data, claim)
    _history(claim.id)


# --- the editor ------------------------------------------------------------------------------


def _editor_panel(data: Loaded, claim: Claim) -> None:
    root = kb_dir()
    st.subheader("✏️ Edit this claim")
    try:
        with open(os.path.join(root, CLAIMS_FILE), "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        st.error(f"Cannot read {CLAIMS_FILE}: {exc.strerror}")
        return
    started_key = f"_kb_edit_from_{claim.id}"
    current = digest(raw)
    started = st.session_state.setdefault(started_key, (current, _entry_text(raw, data, claim)))
    if started[0] != current:
        now_text = _entry_text(raw, data, claim)
        what = ("this claim itself changed" if now_text != started[1]
                else "this claim is as you saw it; other claims changed")
        st.warning(f"{CLAIMS_FILE} changed since you started editing ({what}). The page shows "
                   "the file as it is now; check the preview, then re-apply your change.",
                   icon="🔁")
        if st.button("Re-apply on the current file", key=f"edit_{claim.id}_reapply"):
            st.session_state[started_key] = (current, now_text)
            st.rerun()
    base = Base(root, data.kb, data.report, raw, started[0], current)
    if not _editor():
        st.info("Enter your name in the sidebar to save changes; it is recorded in the change "
                "log.", icon="🪪")
    review, override, links, studies = st.tabs(["Review", "Verdict override",
                                                "Evidence links", "Add a study"])
    with review:
        _review_tab(base, data, claim)
    with override:
        _override_tab(base, data, claim)
    with links:
        _links_tab(base, data, claim)
    with studies:
        _studies_tab(root)


def _entry_text(raw: bytes, data: Loaded, claim: Claim) -> str:
    index = next(i for i, c in data.kb.claims_with_index() if c.id == claim.id)
    try:
        entry = find_claim(raw, claim.id, data.kb.line_of(f"claims[{index}]"))
    except NotEditable:
        return ""
    return "" if entry is None else raw[entry.start:entry.end].decode("utf-8", "replace")


def _review_tab(base: Base, data: Loaded, claim: Claim) -> None:
    k = f"edit_{claim.id}_review"
    statuses = [s.value for s in ReviewStatus]
    status = st.selectbox("Review status", statuses, key=f"{k}_status",
                          index=statuses.index(claim.review.status.value))
    reviewer = st.text_input("Reviewer", key=f"{k}_reviewer",
                             value=claim.review.reviewer or "",
                             placeholder="you (the name in the sidebar)")
    note = st.text_area("Review note", key=f"{k}_note", value=claim.review.note or "")
    changed = (status != claim.review.status.value or reviewer.strip() != (
        claim.review.reviewer or "") or note.strip() != (claim.review.note or ""))
    who = reviewer.strip() or (_editor() if changed else None)
    _preview_and_save(data, lambda: set_review(base, claim.id, status, reviewer=who,
                                               note=note, today=dt.date.today()),
                      f"{k}_save", "Save review")


def _override_tab(base: Base, data: Loaded, claim: Claim) -> None:
    k = f"edit_{claim.id}_override"
    current = claim.review.override
    verdicts = list(OVERRIDE_VERDICTS)
    verdict = st.selectbox("Editor's verdict", verdicts, key=f"{k}_verdict",
                           index=verdicts.index(current.verdict.value) if current else 0)
    reason = st.text_area("Reason (required)", key=f"{k}_reason",
                          value=(current.rationale or "") if current else "")
    if current is None and not reason.strip():
        st.caption("The computed verdict stands. Give a verdict and a reason to override it.")
        return
    _preview_and_save(data, lambda: set_override(base, claim.id, verdict, reason),
                      f"{k}_save", "Save override")
    if current is not None:
        st.divider()
        _preview_and_save(data, lambda: clear_override(base, claim.id), f"{k}_clear",
                          "Clear the override", preview=False)


def _links_tab(base: Base, data: Loaded, claim: Claim) -> None:
    k = f"edit_{claim.id}_link"
    kb = data.kb
    linked = [e.study for e in claim.evidence]
    query = st.text_input("Find a study (key, title, author, DOI)", key=f"{k}_query")
    options = list(dict.fromkeys([*(find_studies(kb, query) if query else []), *linked]))
    if not options:
        st.caption("Type to search references.bib.")
        return
    # Keyed by the search, so a new search selects its best hit.
    study = st.selectbox("Study", options, key=f"{k}_study_{query}", format_func=lambda key: (
        ("🔗 " if key in linked else "➕ ") + _label(data, key)))
    link = next((e for e in claim.evidence if e.study == study), None)
    if link is None:
        st.caption("Not linked yet: saving adds the link.")
    s = f"{k}_{study}"
    stances = [x.value for x in Stance]
    # "": no certainty written; the study's design gives the default (kb check says so).
    certainties = ["", *(c.value for c in Certainty)]
    current = link.certainty.value if link and link.certainty else ""
    values: dict[str, str | None] = {
        "stance": st.selectbox("Stance", stances, key=f"{s}_stance",
                               index=stances.index(link.stance.value) if link else 0),
        "certainty": st.selectbox(
            "Certainty (GRADE)", certainties, key=f"{s}_certainty",
            index=certainties.index(current),
            format_func=lambda v: v or "(not given: the default from the study's design)"),
    }
    for name in ("outcome", "follow_up", "locator"):
        values[name] = st.text_input(name.replace("_", "-").capitalize(), key=f"{s}_{name}",
                                     value=(getattr(link, name) or "") if link else "")
    values["note"] = st.text_area("Note (why and how it bears on the claim)", key=f"{s}_note",
                                  value=link.note if link else "")
    assert set(values) == set(LINK_FIELDS)
    _preview_and_save(data, lambda: set_link(base, claim.id, study, **values),
                      f"{s}_save", "Save link" if link else "Add link")
    if link is not None:
        st.divider()
        _preview_and_save(data, lambda: remove_link(base, claim.id, study), f"{s}_remove",
                          "Remove this link", preview=False)


def _label(data: Loaded, key: str) -> str:
    ref = data.kb.references.get(key)
    title = ref.fields.get("title", "") if ref else ""
    return f"{key} — {title[:70]}" + ("" if key in data.kb.studies else " (not appraised)")


def _studies_tab(root: str) -> None:
    text = st.text_area("Paste BibTeX, RIS or CSL-JSON (one or more records)",
                        key="edit_studies_text", height=160)
    if not text.strip():
        return
    try:
        plan = add_studies(root, text, "", dry_run=True)
    except (ValueError, WriteRefused) as exc:
        st.error(str(exc))
        return
    for ref in plan.added:
        st.markdown(f"➕ **{md_escape(ref.key)}**: {md_escape(ref.fields.get('title', ''))}")
    for skip in plan.skipped:
        st.markdown(f"= {md_escape(skip.label)}: already in the base as "
                    f"**{md_escape(skip.duplicate_of)}** ({md_escape(skip.reason)}); not added")
    for problem in plan.problems:
        st.warning(problem.render())
    if plan.added and st.button(f"Add {len(plan.added)} to references.bib",
                                key="edit_studies_save", disabled=_editor() is None):
        editor = _editor()
        if editor is None:
            return
        try:
            done = add_studies(root, text, editor)
        except (ValueError, WriteRefused) as exc:
            st.error(str(exc))
            return
        st.session_state["_kb_edit_done"] = (
            f"Added {', '.join(r.key for r in done.added)} to references.bib. Appraise each "
            "under `studies:` in claims.yaml (design and where it was verified) before linking.")
        st.rerun()


def _preview_and_save(data: Loaded, make: Callable[[], Proposal], key: str, label: str,
                      preview: bool = True) -> None:
    try:
        proposal = make()
    except (NotEditable, ValueError) as exc:
        st.error(str(exc))
        return
    if preview and proposal.changed:
        g0, g1 = proposal.grade_before, proposal.grade_after
        with st.container(border=True):
            st.markdown("**Preview**")
            if g1 is None:
                st.markdown("Computed verdict after saving: not graded (see the problems).")
            elif (g1.verdict, g1.certainty, g1.rule) == (g0.verdict, g0.certainty, g0.rule):
                st.markdown(f"Computed verdict unchanged: {g1.verdict.icon} "
                            f"{md_escape(g1.verdict.label)}")
            else:
                st.markdown(f"Computed verdict: {g0.verdict.icon} {md_escape(g0.verdict.label)}"
                            f" → **{g1.verdict.icon} {md_escape(g1.verdict.label)}**"
                            + (f" · {g1.certainty.label} certainty" if g1.certainty else ""))
                st.caption(md_escape(g1.reason))
            st.code(entry_diff(proposal), language="diff")
    for problem in proposal.problems:
        st.error(problem.render(), icon="⛔")
    for problem in proposal.warnings:
        st.caption(f"⚠️ {md_escape(problem.render())}")
    if not proposal.changed:
        if preview:
            st.caption("Nothing to save: the values are as in the file.")
        return
    editor = _editor()
    if st.button(label, key=key, type="primary" if preview else "secondary",
                 disabled=editor is None or not proposal.ok):
        editor = _editor()  # checked again when the write is about to happen
        if editor is None or not proposal.ok:
            return
        before = stamps(proposal.base.root)
        try:
            saved = save(proposal, editor)
        except Conflict as exc:
            st.error(str(exc), icon="🔁")
            return
        except (NotEditable, WriteRefused) as exc:
            st.error(str(exc))
            return
        after_save(data, saved, before)  # the next page shows the base without reading it
        st.session_state[f"_kb_edit_from_{proposal.claim_id}"] = (
            saved.digest, proposal.new_text)
        st.session_state["_kb_edit_done"] = "Saved. " + describe(proposal).replace("\n", " · ")
        st.rerun()


# --- the change log -------------------------------------------------------------------------


def _history(claim_id: str) -> None:
    done = st.session_state.pop("_kb_edit_done", None)
    if done:
        st.success(md_escape(done), icon="💾")
    records = [r for r in read_log(kb_dir()).records if r.get("claim") == claim_id]
    label = f"Change history ({len(records)})" if records else "Change history"
    with st.expander(label, expanded=bool(done)):
        if not records:
            st.caption("No change to this claim was saved from the dashboard or `kb` edit "
                       "commands.")
            return
        for r in reversed(records):
            st.markdown(change_line(r))


def change_line(r: dict) -> str:
    """One log record as a line of Markdown (every value escaped)."""
    changes = "; ".join(f"{md_escape(path)}: {md_escape(a)} → {md_escape(b)}"
                        for path, a, b in record_changes(r, 120))
    v0, v1 = record_verdicts(r)
    verdict = f" · verdict {md_escape(v0)} → {md_escape(v1)}" if v0 != v1 else ""
    return (f"**{md_escape(r.get('time', ''))}** · {md_escape(r.get('editor', ''))} · "
            f"{md_escape(r.get('operation', ''))}: {changes}{verdict}")


