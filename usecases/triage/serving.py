"""Serving: store, reading users' files, batch scoring and throughput."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pandas as pd
import torch

from usecases.core.spec import Throughput
from usecases.core.store import ModelStore, load_module
from usecases.core.tables import file_line

from . import SPEC, learner
from .mapping import Mapping
from .metrics import DEFAULT_UNDER_COST
from .model import decide
from .pipeline import Trained, model_proba, unknown_words_note, unreadable_complaints, unreadable_note, unseen_held, unseen_note
from .records import MIN_VITALS, VITALS, Records, check_enough, read_raw, read_records, thin_rows
from .rules import esi_level, news2_level, red_flags


def save(trained: Trained, store: ModelStore, key: str | None = None) -> dict:
    """Weights, card and the precomputed evaluation arrays (so the page opens without refitting)."""
    arts = {k: torch.tensor(np.asarray(v)) for k, v in (trained.artefacts or {}).items()}
    return store.save(key or SPEC.name, trained.model.state_dict(), trained.card, format_version=SPEC.format_version, artefacts=arts or None)


def load(store: ModelStore, key: str | None = None) -> Trained:
    key = key or SPEC.name
    model, card = load_module(store, key, format_version=SPEC.format_version, build=learner.build)
    arts = store.load_artefacts(key, card)
    return Trained(model=model, card=card, artefacts={k: v.numpy() for k, v in arts.items()} if arts else None)


def _mapping(mapping) -> Mapping | None:
    if mapping is None or isinstance(mapping, Mapping):
        return mapping
    return Mapping.from_json(mapping)


def trained_mapping(trained: Trained | None, raw: bytes, filename: str) -> tuple[Mapping, str] | None:
    """The mapping the model was trained with (its card keeps it since 2026-12-03), for a file given without one, and the
    note that says so — when the mapping was given (not guessed) and the file has the columns it names (a column it lacks is
    left out, and said; the level may be missing from a file to score). ``None`` for the shipped model, a card without a
    given mapping (a guessed one is guessed again on the new file), or a file with none of its columns.

    Why: a model trained with "level 5 is the most urgent" and evaluated on its own file without the mapping had the file
    read by a guess (level 1 most urgent), every level turned round, and reported κ 0.000 with no word of why; scoring
    wrote level 1 beside reference level 5 (a real-file check, 2026-12-03)."""
    return _known(trained, lambda: read_raw(raw, filename)[0].columns)


def _known(trained: Trained | None, columns) -> tuple[Mapping, str] | None:
    """:func:`trained_mapping` on the file's columns (``columns()``, read only when the card has a mapping to fit)."""
    data = trained.card.get("data", {}) if trained is not None else {}
    d = data.get("mapping")
    if not d or data.get("mapping_guessed", True):  # a guess is made again on the new file, as on the training file
        return None
    m = Mapping.from_json(json.dumps(d))
    cols = list(columns())
    kept = {k: c for k, c in m.columns.items() if c in cols}
    if not kept or set(kept) == {"level"}:
        return None
    lacks = [f"{k} ({c!r})" for k, c in m.columns.items() if k not in kept and k != "level"]
    note = (f"Read with the mapping this model was trained with (level {m.most_urgent} is the most urgent end"
            + (f" of {m.columns['level']!r}" if "level" in m.columns else "")
            # one note for the command line and the page: "pass --mapping, or upload one" told a command-line user to upload (an
            # analyst walkthrough, 2026-12-07), so each way is named where it is
            + "; to read it otherwise, give a mapping file: --mapping on the command line, the Mapping upload on the page's Score a "
              "file tab)"
            + (f"; not in this file, so not recorded: {', '.join(lacks)}" if lacks else ""))
    return dataclasses.replace(m, columns=kept), note


def _read(raw: bytes, filename: str, mapping, trained: Trained | None, **kw) -> Records:
    given = _mapping(mapping)
    if given is None:
        read = []  # the file is parsed once, whether or not the model's mapping fits it
        known = _known(trained, lambda: read.append(read_raw(raw, filename)) or read[0][0].columns)
        if known is not None:
            recs = read_records(raw, filename, known[0], read=read[0], **kw)
            return dataclasses.replace(recs, notes=[known[1], *recs.notes])
        if read:
            return read_records(raw, filename, None, read=read[0], **kw)
    return read_records(raw, filename, given, **kw)


def read_data(raw: bytes, filename: str, mapping: bytes | str | Mapping | None = None, accept_guess: bool = False,
              trained: Trained | None = None) -> Records:
    """A labelled file for training or evaluation. Without ``mapping`` the mapping is the one ``trained`` (the model to
    evaluate, when given) was trained with, where the file has its columns (:func:`trained_mapping`), else guessed and
    the guess reported in ``Records.notes``; a guess with codes it cannot map is refused unless ``accept_guess`` (those
    codes then count as not recorded)."""
    return _read(raw, filename, mapping, trained, accept_guess=accept_guess)


def score(trained: Trained, rows: pd.DataFrame, under_cost: float = DEFAULT_UNDER_COST) -> pd.DataFrame:
    """Suggested level (cost-weighted), the five probabilities and the rule levels for canonical rows."""
    probs = model_proba(trained, rows)
    out = pd.DataFrame(index=rows.index)
    out["suggested_level"] = decide(probs, under_cost)
    for i in range(5):
        out[f"p_level_{i + 1}"] = np.round(probs[:, i], 4)
    out["news2_level"] = news2_level(rows)
    out["esi_rule_level"] = esi_level(rows)
    few = (sum(rows[c].notna() for c in VITALS) < MIN_VITALS).to_numpy()
    if few.any():  # NEWS2 reads the six signs alone, each one missing scoring 0: DAAG::headInjury's complaints without a vital
        # sign had all come back "news2_level 5" (an analyst walkthrough, 2026-12-07, later) — left empty, as for a thin row
        out["news2_level"] = pd.array(np.where(few, None, out["news2_level"].to_numpy()), dtype="Int64")
    thin = thin_rows(rows).to_numpy()
    if thin.any():  # a blank row came back "level 3, 69 %": the cohort's average, not a suggestion — left empty, and said
        # …unless what is recorded is a danger sign: a patient in coma (AVPU U) with one other vital sign had been given no
        # level at all, under a green "scored" box (an analyst walkthrough, 2026-12-07). Such a row gets the ESI-style rule's
        # level (1 or 2), not the model's, which has too little to go on.
        urgent = thin & (out["esi_rule_level"].to_numpy() <= 2)  # the rule's level is already computed above
        empty = thin & ~urgent
        out["suggested_level"] = pd.array(np.where(urgent, out["esi_rule_level"], out["suggested_level"]), dtype="Int64")
        for c in ("suggested_level", "news2_level", "esi_rule_level"):
            out[c] = pd.array(np.where(empty | (thin & (c == "news2_level")), None, out[c].to_numpy()), dtype="Int64")
        out.loc[thin, [f"p_level_{i + 1}" for i in range(5)]] = np.nan
    return out


def rule_only_note(frame: pd.DataFrame, urgent: np.ndarray, levels) -> str:
    """The note for rows :func:`score` gave the ESI-style rule's level because too little was recorded for the model."""
    idx = np.flatnonzero(urgent)
    where = ", ".join(f"line {file_line(frame, frame.index[i])}: level {int(levels[i])} ({'; '.join(red_flags(frame.iloc[i].to_dict())) or 'a danger sign'})"
                      for i in idx[:5]) + (" …" if len(idx) > 5 else "")
    return (f"{len(idx):,} row{'s' if len(idx) > 1 else ''} with too little recorded for the model but a danger sign "
            f"{'get' if len(idx) > 1 else 'gets'} the ESI-style rule's level ({where}): see {'them' if len(idx) > 1 else 'this patient'} "
            "at once and record the missing vital signs")


def score_file(trained: Trained, raw: bytes, filename: str, mapping: bytes | str | Mapping | None = None, accept_guess: bool = False,
               under_cost: float = DEFAULT_UNDER_COST) -> pd.DataFrame:
    """Suggested levels for every record of a file (labels optional), in the file's order, each with its ``line`` in the
    file (identifier columns are dropped on reading). Without ``mapping``, the model's own mapping where the file fits it
    (:func:`trained_mapping`), else a guess. ``.attrs["notes"]`` holds what was read, guessed or left out, for the
    CLI and the page to show."""
    recs = _read(raw, filename, mapping, trained, require_labels=False, accept_guess=accept_guess)
    check_enough(recs.frame, f"“{filename}”")
    out = pd.concat([recs.frame[["age", "sex", "complaint"]], score(trained, recs.frame, under_cost)], axis=1)
    # Identifier columns are dropped on reading (privacy), so the file's line number is what ties a result back to its record.
    out.insert(0, "line", [file_line(recs.frame, i) for i in recs.frame.index])
    if recs.frame["level"].notna().any():
        out["reference_level"] = pd.array(recs.frame["level"], dtype="Float64").astype("Int64")  # "4", as suggested_level (it read "4.0")
    notes = list(recs.notes)
    # rows :func:`score` gave the rule's level (too thin for the model: no probabilities) — read off its output, not worked out
    # again (the rule reads every complaint; a 111,060-row export is scored here)
    urgent = (out["p_level_1"].isna() & out["suggested_level"].notna()).to_numpy()
    if urgent.any():
        levels = out["suggested_level"].to_numpy()
        notes.append(rule_only_note(recs.frame, urgent, 6 - levels if recs.mapping.most_urgent == 5 else levels))  # the file's scale
        out.attrs["rule_only"] = notes[-1]  # the page shows it as a warning, not among the reading notes
    thin = np.flatnonzero(thin_rows(recs.frame).to_numpy() & ~urgent)
    if len(thin):
        notes.append(f"{len(thin):,} row{'s' if len(thin) > 1 else ''} with no complaint and fewer than {MIN_VITALS} vital signs recorded "
                     f"(line{'s' if len(thin) > 1 else ''} {', '.join(str(file_line(recs.frame, recs.frame.index[i])) for i in thin[:5])}"
                     f"{' …' if len(thin) > 5 else ''}): no level suggested, the cells left empty")
    no_news2 = int((out["news2_level"].isna() & ~thin_rows(recs.frame)).sum())  # thin rows are said above
    if no_news2:  # a blank news2_level cell is said, as a blank suggestion is
        notes.append(f"news2_level is left empty on {no_news2:,} row{'s' if no_news2 > 1 else ''} with fewer than {MIN_VITALS} of the six "
                     "signs NEWS2 reads (respiratory rate, SpO₂, systolic BP, heart rate, AVPU, temperature): each one missing would "
                     "score 0, so its level would say nothing")
    held = unseen_held(trained.card, recs.frame)
    if held:
        notes.append(unseen_note(held))
    unread = unreadable_complaints(trained.card, recs.frame)
    if unread.any():
        lines = [file_line(recs.frame, i) for i in recs.frame.index[unread][:5]]
        notes.append(unreadable_note(recs.frame, unread, f" (line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}"
                                                         f"{' …' if unread.sum() > 5 else ''})"))
        out.attrs["unreadable"] = notes[-1]  # the page shows this one as a warning, not among the reading notes
    if words := unknown_words_note(trained.card, recs.frame):
        notes.append(words)
    if recs.mapping.most_urgent == 5:  # back to the file's own scale, which the mapping says runs the other way
        for c in ("suggested_level", "news2_level", "esi_rule_level", "reference_level"):
            if c in out:
                out[c] = 6 - out[c]
        p = out[[f"p_level_{i}" for i in range(1, 6)]].to_numpy()
        out[[f"p_level_{i}" for i in range(1, 6)]] = p[:, ::-1]
        notes.append("Levels and p_level_1 … p_level_5 are on your file's scale (5 = most urgent), as the mapping says")
    out.attrs["notes"] = notes
    out.attrs["warnings"] = list(recs.warnings)  # shown beside the scores (page) and as `warning:` (CLI), not among the notes
    if out.attrs.get("rule_only"):  # the command line says it as a warning too
        out.attrs["warnings"].append(out.attrs["rule_only"])
    return out


_THROUGHPUT_ROWS: pd.DataFrame | None = None


def throughput(trained: Trained) -> Throughput:
    """Patients scored per second (complaint hashing included), after a warm-up, on 2,000 synthetic records."""
    global _THROUGHPUT_ROWS
    if _THROUGHPUT_ROWS is None:
        from .cohort import CohortConfig, generate

        _THROUGHPUT_ROWS = generate(CohortConfig(n=2000, seed=7))
    rows = _THROUGHPUT_ROWS
    learner.predict_proba(trained.model, rows.head(64))
    t = time.perf_counter()
    learner.predict_proba(trained.model, rows)
    device = next(trained.model.parameters()).device
    return Throughput(per_second=len(rows) / max(time.perf_counter() - t, 1e-9), unit="patients", device=str(device))
