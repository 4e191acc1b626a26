"""Fraud detection: transaction simulator, features, PyTorch detector, tuned peers, business case.

Modules, along the data flow: ``simulate`` → ``features`` → ``data`` / ``files`` (users' files) →
``learner`` (+ ``model``, the network) and ``peers`` → ``pipeline`` + ``artefacts`` (train, store) →
``results`` (evaluate) → ``assumptions`` + ``business`` (value) + ``charts`` → ``scoring`` (batch scores, throughput, a winning peer in view).
"""
from usecases.core.spec import Spec

SPEC = Spec(
    name="fraud",
    title="Fraud detection",
    purpose="Flag card-payment fraud in real time and price the losses it prevents.",
    primary_metric="average_precision",
    primary_label="Average precision",
    higher_is_better=True,
    format_version=2,
    url_path="fraud-detection",
    icon=":material/credit_card:",
    assumptions_key="fraud.a",
    scenario_keys=("fraud.mode", "fraud.threshold"),
    view="fraud_detection",
    model_label="PyTorch detector",
    data_source="Simulated card transactions (Le Borgne et al. handbook design)",
)

# Scenario keys outside the assumptions prefix and the fields they set (``spec.settings_not_used`` checks them).
SCENARIO_FIELDS = {"fraud.threshold": ("threshold", "a fraud probability from 0 to 1"),
                   "fraud.mode": ("mode", "Profit-optimal, Team capacity or Manual")}

from .bench import bench  # noqa: E402
from .assumptions import Assumptions, FraudAssumptions, assumptions_from  # noqa: E402
from .business import value  # noqa: E402
from .pipeline import Config, Trained, load, save, train  # noqa: E402
from .results import FraudEvaluation, evaluate  # noqa: E402
from .scoring import batch_figures, promote, read_data, read_rows, score, score_file, throughput  # noqa: E402

__all__ = ["SPEC", "Config", "Assumptions", "FraudAssumptions", "Trained", "FraudEvaluation", "train", "save", "load", "evaluate",
           "value", "assumptions_from", "score", "score_file", "batch_figures", "read_data", "read_rows", "throughput", "promote", "bench"]
