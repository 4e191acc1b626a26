"""Medical triage: synthetic ED cohort, rule baselines, acuity classifier vs tuned peers, queue simulation.

The contract (``usecases/core/spec.py``): ``train`` fits the model (:mod:`.pipeline`), ``evaluate``
scores it with the peers on the same rows (:mod:`.pipeline`, :mod:`.evaluation`), ``value`` prices
paired ED simulations (:mod:`.economics`); users' files are read by :mod:`.records` with a mapping
(:mod:`.mapping`); one patient is explained by :mod:`.explain`.
"""
from usecases.core.spec import Spec

SPEC = Spec(
    name="triage",
    title="Medical triage",
    purpose="Decision support for triage nurses: suggest an acuity level and flag under-triage risk.",
    primary_metric="kappa_linear",
    primary_label="Linear weighted κ",
    higher_is_better=True,
    format_version=2,  # 2: an ensemble of members (fold models) plus evaluation artefacts
    url_path="medical-triage",
    icon=":material/emergency:",
    assumptions_key="triage.ops",
    view="medical_triage",
    data_source="Synthetic emergency-department cohort (generator documented in the README)",
)

from .economics import RUNS as _RUNS, WEEKS as _WEEKS  # noqa: E402

# Simulation settings kept beside the prices, with their ranges in words (``spec.settings_not_used`` names them).
SCENARIO_FIELDS = {"triage.ops.runs": ("runs", f"{_RUNS[0]} to {_RUNS[1]} whole runs"),
                   "triage.ops.weeks": ("weeks", f"{_WEEKS[0]} to {_WEEKS[1]} whole weeks")}

from .bench import bench  # noqa: E402
from .evaluation import TriageEvaluation  # noqa: E402
from .explain import assess  # noqa: E402
from .pipeline import Config, Trained, evaluate, train  # noqa: E402
from .serving import load, read_data, save, score, score_file, throughput, trained_mapping  # noqa: E402
from .economics import Assumptions, assumptions_from, judged, operations, policies, value  # noqa: E402


def train_caution(data) -> list[str]:
    """What the page's *Your records* tab cautions before training a small or uneven file (repeats, small file, thin levels),
    for the command line's ``train triage --data``: it trained a 35-row file to κ 0.029 without the word the page says (a
    sweep, 2026-12-07). Levels that never appear are left to the reader's own note, which says so already."""
    from .records import caution

    return [c for c in caution(data.frame) if not c.startswith("Level")]

__all__ = ["SPEC", "Config", "Assumptions", "Trained", "TriageEvaluation", "train", "save", "load", "evaluate", "read_data", "score",
           "score_file", "trained_mapping", "value", "judged", "assumptions_from", "throughput", "bench", "assess", "operations", "policies",
           "train_caution"]
