"""Medical triage: synthetic ED cohort, rule baselines, acuity classifier, queue simulation."""
from usecases.core.spec import Spec

SPEC = Spec(
    name="triage",
    title="Medical triage",
    purpose="Decision support for triage nurses: suggest an acuity level and flag under-triage risk.",
    primary_metric="kappa_linear",
    primary_label="Linear weighted κ",
    higher_is_better=True,
    format_version=1,
    url_path="medical-triage",
    icon=":material/emergency:",
    assumptions_key="triage.ops",
    view="medical_triage",
    data_source="Synthetic emergency-department cohort (generator documented in the README)",
)

from .bench import bench  # noqa: E402
from .pipeline import Config, Trained, evaluate, load, read_data, save, score_file, train  # noqa: E402

__all__ = ["SPEC", "Config", "Trained", "train", "save", "load", "evaluate", "read_data", "score_file", "bench"]
