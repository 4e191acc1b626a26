"""Fraud detection: transaction simulator, features, PyTorch detector, baselines, business case."""
from usecases.core.spec import Spec

SPEC = Spec(
    name="fraud",
    title="Fraud detection",
    purpose="Flag card-payment fraud in real time and price the losses it prevents.",
    primary_metric="average_precision",
    primary_label="Average precision",
    higher_is_better=True,
    format_version=1,
    url_path="fraud-detection",
    icon=":material/credit_card:",
    assumptions_key="fraud.a",
    scenario_keys=("fraud.mode", "fraud.threshold"),
    view="fraud_detection",
    model_label="PyTorch detector",
    data_source="Simulated card transactions (Le Borgne et al. handbook design)",
)

from .bench import bench  # noqa: E402
from .pipeline import Config, Trained, evaluate, load, read_data, save, score_file, train  # noqa: E402

__all__ = ["SPEC", "Config", "Trained", "train", "save", "load", "evaluate", "read_data", "score_file", "bench"]
