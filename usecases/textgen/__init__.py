"""Text generation: a character-level GPT with a KV cache, local pretrained models, cost per token."""
from usecases.core.spec import Spec

SPEC = Spec(
    name="textgen",
    title="Text generation",
    purpose="Draft documentation text with a small GPT trained here, and price generated tokens.",
    primary_metric="val_bpc",
    primary_label="Bits per character",
    higher_is_better=False,
    format_version=1,
    page="text-generation",
    data_source="Python's bundled reference documentation (pydoc_data)",
)
