"""Recommendation: MovieLens top-N recommender, peers, cold start, revenue uplift, A/B planning."""
from usecases.core.spec import Spec

SPEC = Spec(
    name="recommendation",
    title="Recommendation",
    purpose="Recommend the next film each customer is most likely to enjoy and price the uplift.",
    primary_metric="ndcg@10",
    primary_label="NDCG@10",
    higher_is_better=True,
    format_version=1,
    url_path="recommendation",
    icon=":material/movie:",
    assumptions_key="rec.a",
    scenario_keys=("rec.ab.",),
    view="recommendation",
    data_source="MovieLens latest-small (GroupLens, 2016)",
)

from .bench import bench  # noqa: E402
from .pipeline import Config, Trained, evaluate, load, read_data, save, score_file, train  # noqa: E402

__all__ = ["SPEC", "Config", "Trained", "train", "save", "load", "evaluate", "read_data", "score_file", "bench"]
