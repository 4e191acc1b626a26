"""Text generation: a small GPT (byte-level BPE or characters) with a KV cache, local pretrained models, cost per token.

The contract (``usecases/core/spec.py``): ``train`` fits the GPT (:mod:`.training`, sized by
:mod:`.config`), ``evaluate`` scores it beside a Witten–Bell n-gram on the same held-out text
(:mod:`.evaluation`), ``value`` prices its drafts (:mod:`.business`); the store, users' corpora, batch
generation and throughput are in :mod:`.serving`; corpora in :mod:`.corpus` and :mod:`.stackdocs`.
"""
from usecases.core.spec import Spec

SPEC = Spec(
    name="textgen",
    title="Text generation",
    purpose="Draft documentation text with a small GPT trained from scratch, and price generated tokens.",
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
from .config import Config  # noqa: E402
from .evaluation import TextEvaluation, evaluate  # noqa: E402
from .model import Trained  # noqa: E402
from .serving import load, read_data, save, score, score_file, throughput  # noqa: E402
from .training import train  # noqa: E402
from .business import Assumptions, TextAssumptions, TextValue, assumptions_from, value  # noqa: E402

__all__ = ["SPEC", "Config", "Assumptions", "TextAssumptions", "Trained", "TextEvaluation", "TextValue", "train", "save", "load", "evaluate",
           "read_data", "score", "score_file", "value", "assumptions_from", "throughput", "bench"]
