"""Text generation: a small GPT (byte-level BPE or characters) with a KV cache, local pretrained models, cost per token."""
from usecases.core.spec import Spec

SPEC = Spec(
    name="textgen",
    title="Text generation",
    purpose="Draft documentation text with a small GPT trained here, and price generated tokens.",
    primary_metric="val_bpb",
    primary_label="Bits per byte",
    higher_is_better=False,
    format_version=2,
    url_path="text-generation",
    icon=":material/edit_note:",
    assumptions_key="tg.a",
    scenario_keys=("tg.A.", "tg.B."),
    view="text_generation",
    model_label="GPT",
    data_source="the documentation of the installed Python stack (standard library and this project's packages)",
)

from .bench import bench  # noqa: E402
from .pipeline import Config, Trained, evaluate, load, read_data, save, score_file, train  # noqa: E402

__all__ = ["SPEC", "Config", "Trained", "train", "save", "load", "evaluate", "read_data", "score_file", "bench"]
