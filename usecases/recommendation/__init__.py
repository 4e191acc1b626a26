"""Recommendation: MovieLens top-N recommender, tuned peers, cold start, revenue uplift, A/B planning.

data (MovieLens, per-user split) · files (own files) · model (time-aware EASE + popularity re-ranking)
· peers · tuning (inner validation) · training · evaluation · trained (store, context, evaluate)
· serving (top-N, fold-in, batch) · business (value, A/B planner) · bench
"""
from usecases.core.spec import Spec

SPEC = Spec(
    name="recommendation",
    title="Recommendation",
    purpose="Recommend the next film each customer is most likely to enjoy and price the uplift.",
    primary_metric="ndcg@10",
    primary_label="NDCG@10",
    higher_is_better=True,
    format_version=2,
    url_path="recommendation",
    icon=":material/movie:",
    assumptions_key="rec.a",
    scenario_keys=("rec.ab.",),
    view="recommendation",
    data_source="MovieLens latest-small (GroupLens, 2016)",
)

from .bench import bench  # noqa: E402
from .business import Assumptions, value  # noqa: E402
from .evaluation import RecEvaluation  # noqa: E402
from .files import read_interactions  # noqa: E402
from .serving import score, score_file  # noqa: E402
from .trained import Trained, evaluate, load, save, throughput  # noqa: E402
from .training import Config, train  # noqa: E402


def read_data(raw: bytes, filename: str, items: bytes | None = None, items_name: str | None = None):
    """A user's interactions file (and optional titles file: MovieLens ``u.item``, ``movies.dat`` or CSV)."""
    return read_interactions(raw, filename, items=items, items_name=items_name)


__all__ = ["SPEC", "Config", "Assumptions", "Trained", "RecEvaluation", "train", "save", "load", "evaluate", "value", "throughput",
           "score", "score_file", "read_data", "bench"]
