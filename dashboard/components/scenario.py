"""Scenarios that travel: every assumption lives in the URL and can be saved to / loaded from JSON.

Tracked widgets are those whose keys start with one of :func:`prefixes` — each use case's
``SPEC.tracked_prefixes`` (assumption inputs, operating point, A/B and simulation settings) and Home's. Their values are kept in a session-wide
``_scenario`` dict — so the Home page can price every use case under the scenario the user set on
its page — and written to ``st.query_params`` after each run, so a copied link reproduces the view.

Encoding: numbers, booleans and lists as JSON; plain text as itself (text that would parse as JSON
is JSON-quoted so "6" stays text).
"""

from __future__ import annotations

import json
import math
from typing import Any

import streamlit as st

from usecases.core.tables import DataProblem, json_loads, json_problem

HOME_PREFIX = "home."
STATE = "_scenario"
FORMAT = "ai-usecase-lab-scenario"
MAX_FILE_BYTES = 256 * 1024
URL_NOTE = "_scenario_url_note"  # the one line saying which values from the link were not taken


def prefixes() -> tuple[str, ...]:
    """Every tracked widget-key prefix: each use case's ``SPEC.tracked_prefixes`` (from the registry) and Home's."""
    import usecases

    return tuple(p for m in usecases.all_modules() for p in m.SPEC.tracked_prefixes) + (HOME_PREFIX,)


def tracked(key: object) -> bool:
    # a share's per-cent box ("fraud.a.recovery_share%") is the widget of the share, not a setting of its own: saved beside
    # it, an edit of the per-cent value in a file was ignored without a word (a sweep, 2026-12-05)
    return isinstance(key, str) and key.startswith(prefixes()) and not key.endswith("%")


def from_percent(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Values with each per-cent key ("…share%": 50, as files saved from 2026-12-03 to 2026-12-05 hold them) read as its share
    (0.5) where the share is not given, and ``problems`` naming a per-cent value that disagrees with its share."""
    out, problems = {}, []
    for k, v in values.items():
        if not (isinstance(k, str) and k.endswith("%") and tracked(k[:-1])):
            out.setdefault(k, v)
            continue
        base = k[:-1]
        try:
            share = float(v) / 100
        except (TypeError, ValueError):
            problems.append(f"{k} = {v!r} is not a number of per cent")
            continue
        if base in values:
            try:
                same = abs(float(values[base]) - share) <= 1e-9
            except (TypeError, ValueError):
                same = False
            if not same:
                problems.append(f"{k} = {v!r} and {base} = {values[base]!r} disagree (the same setting in per cent and as a share): keep one")
        else:
            out[base] = share
    return out, problems


def encode(value: Any) -> str:
    if isinstance(value, str):
        try:
            json_loads(value)
        except ValueError:
            return value
        return json.dumps(value)
    return json.dumps(value)


def decode(text: str) -> Any:
    try:
        return json_loads(text)  # a link nested 1,000 levels deep had raised RecursionError on the page (a review, 2026-12-07)
    except ValueError:
        return text


def _valid(value: Any) -> bool:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(isinstance(v, (str, int, float)) for v in value)
    return False


def restore() -> None:
    """At the start of a run: URL → scenario (first visit) → widget state (keys not yet set)."""
    scen = st.session_state.setdefault(STATE, {})
    if not st.session_state.get("_scenario_from_url"):
        st.session_state["_scenario_from_url"] = True
        from_url, bad = {}, []
        for k in st.query_params.keys():
            if tracked(k) or (k.endswith("%") and tracked(k[:-1])):
                v = decode(st.query_params[k])
                if _valid(v):
                    from_url[k] = v
                else:  # NaN, inf: dropped without a word until 2026-12-05
                    bad.append(f"{k} = {st.query_params[k]!r} (numbers must be finite)")
        from_url, clash = from_percent(from_url)  # a share and its per-cent value that disagree: the share is kept, and said
        unused = {**{b: b for b in bad + clash}, **not_used(from_url)}
        # Not taken, so every page uses the same default: a link with fraud.threshold=1.5 had priced 1.0 on the fraud page
        # (the slider clamps) and 0.5 on Home (assumptions fall back to their default), without a word. The sidebar says so.
        scen.update({k: v for k, v in from_url.items() if k not in unused})
        if unused:
            lines = list(unused.values())
            st.session_state[URL_NOTE] = ("This link holds values the pages cannot take, so their defaults are used instead: "
                                          + "; ".join(lines[:5]) + ("…" if len(lines) > 5 else "") + ".")
    for k, v in scen.items():
        if k not in st.session_state:
            st.session_state[k] = v


def remember() -> None:
    """At the end of a run: widget state → scenario → URL."""
    scen = st.session_state.setdefault(STATE, {})
    for k in list(st.session_state.keys()):
        if tracked(k):
            v = st.session_state[k]
            if _valid(v):
                scen[k] = list(v) if isinstance(v, tuple) else v
    wanted = {k: encode(v) for k, v in sorted(scen.items())}
    current = {k: st.query_params[k] for k in st.query_params.keys()}
    if current != wanted:
        st.query_params.from_dict(wanted)


def reset(prefix: str) -> None:
    """Drop every value under ``prefix`` (widget, scenario, URL) so defaults come back."""
    scen = st.session_state.setdefault(STATE, {})
    for k in list(scen):
        if k.startswith(prefix):
            del scen[k]
    st.session_state.pop(URL_NOTE, None)
    for k in list(st.session_state.keys()):
        if isinstance(k, str) and k.startswith(prefix):
            del st.session_state[k]
    for k in list(st.query_params.keys()):
        if k.startswith(prefix):
            del st.query_params[k]


def to_json() -> bytes:
    return json.dumps({"format": FORMAT, "version": 1, "values": st.session_state.get(STATE, {})}, indent=2, sort_keys=True).encode()


def parse(raw: bytes) -> dict[str, Any]:
    """Validate a scenario file; raise one DataProblem naming what is wrong."""
    subject = "the scenario file"
    if not raw:
        raise DataProblem("it is empty", subject)
    if len(raw) > MAX_FILE_BYTES:
        raise DataProblem(f"it is larger than {MAX_FILE_BYTES // 1024} KB; a scenario is a few KB", subject)
    try:
        data = json_loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DataProblem("it is not UTF-8 text", subject) from None
    except ValueError as exc:
        raise DataProblem(f"it is not valid JSON ({json_problem(exc)})", subject) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DataProblem(f"it is not an AI Use-Case Lab scenario (expected \"format\": \"{FORMAT}\")", subject)
    values = data.get("values")
    if not isinstance(values, dict):
        raise DataProblem("it has no \"values\" object", subject)
    values, problems = from_percent(values)
    unknown = [k for k in values if not tracked(k)]
    if unknown:
        problems.append(f"unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(map(str, unknown[:5]))}")
    bad = [k for k, v in values.items() if tracked(k) and not _valid(v)]
    if bad:
        problems.append(f"invalid value{'s' if len(bad) > 1 else ''} for {', '.join(bad[:5])} (numbers must be finite)")
    if not problems:  # a value of the right type but out of range would be replaced or clamped without a word
        unused = list(not_used(values).values())
        if unused:
            problems.append("values the pages cannot take: " + "; ".join(unused[:5]) + (f" (and {len(unused) - 5} more)" if len(unused) > 5 else "")
                            + " — correct them in the file, or set them on the page and save the scenario again")
    if problems:
        raise DataProblem(problems, subject)
    return values


def not_used(values: dict[str, Any]) -> dict[str, str]:
    """Every value a use case cannot take as given, with what is allowed (``usecases.core.spec.settings_not_used``)."""
    import usecases
    from usecases.core.spec import settings_not_used

    return {k: line for m in usecases.all_modules() for k, line in settings_not_used(m, values).items()}


def load(values: dict[str, Any]) -> None:
    """Replace the scenario with ``values`` (widgets pick them up on the next run)."""
    scen = st.session_state.setdefault(STATE, {})
    for k in list(st.session_state.keys()):
        if tracked(k):
            del st.session_state[k]
    scen.clear()
    st.session_state.pop(URL_NOTE, None)
    scen.update(values)


def default(key: str, value: Any, *, lo: float | None = None, hi: float | None = None, options: list | None = None) -> None:
    """Give a tracked widget its default through session state, so a value from the URL or a scenario
    file wins — after it is checked against the widget's type, range or options."""
    v = st.session_state.get(key, value)
    try:
        if options is not None:
            v = v if v in options else value
        elif isinstance(value, bool):
            v = bool(v)
        elif isinstance(value, int):
            v = int(v)
        elif isinstance(value, float):
            v = float(v)
        if lo is not None and v < lo:
            v = type(value)(lo)
        if hi is not None and v > hi:
            v = type(value)(hi)
    except (TypeError, ValueError, OverflowError):
        v = value
    st.session_state[key] = v
