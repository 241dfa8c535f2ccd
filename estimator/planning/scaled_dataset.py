"""A dataset scaled to a number of examples: 'a job like this one, at 50,000 examples'.

The counted profile stands for a larger dataset with the same example-length distribution, exactly as a sampled
profile stands for the corpus it was drawn from (DatasetProfile.sample estimates; the resolution scales the
length table by estimated / counted examples).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from estimator.errors import ConfigurationError

SCALED = ("examples", "total_tokens", "trainable_tokens", "billed_tokens_per_epoch", "over_limit_examples",
          "over_context_examples")


@dataclass(frozen=True)
class ScaledDataset:
    """Dataset files that stand for a job of `examples` examples with the same length distribution. Each route
    counts the files with its own model's tokenizer and settings (dataset_tokens.dataset_profile), then scales."""

    paths: tuple[str, ...]
    examples: float
    label: str = ""

    def __str__(self) -> str:
        return f"{', '.join(self.paths)} scaled to {self.examples:,.0f} examples"


def scaled_dataset(dataset: Any, model_id: str, examples: float, catalog) -> ScaledDataset:
    """`dataset` standing for `examples` examples; counted once here with `model_id`'s tokenizer to check it has
    examples and to name it (the routes count it again with their own tokenizers)."""
    from estimator.planning.dataset_tokens import tokenizer_settings
    from estimator.tokens import count_tokens

    spec = catalog.model(model_id)
    settings, _ = tokenizer_settings(spec, "api" if spec.api_only else "lora")
    paths = tuple(str(p) for p in ([dataset] if isinstance(dataset, str) else list(dataset)))
    profile = count_tokens(list(paths), encoding=settings["encoding"], factor=settings["factor"],
                           approximate=settings["approximate"], chat_format=settings["chat_format"],
                           context=spec.context)
    scale_profile(profile, examples)  # the same checks: a positive count, a dataset with examples
    return ScaledDataset(paths, float(examples), f"{', '.join(paths)} ({profile.examples:,} examples)")


def scale_profile(profile: Any, examples: float, label: str = "") -> Any:
    if examples <= 0 or examples != examples:
        raise ConfigurationError(f"--examples must be a positive number, got {examples:g}")
    if not profile.examples:
        raise ConfigurationError("--examples: the dataset has no examples to scale")
    k = examples / profile.examples
    out = copy.deepcopy(profile)
    out.sample = {"scaled_from": label, "factor": k,
                  "estimates": {m: {"estimate": getattr(profile, m) * k, "ci95_low": None, "ci95_high": None}
                                for m in SCALED}}
    return out
