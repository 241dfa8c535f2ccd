"""A dataset counted once and scaled to a number of examples: 'a job like this one, at 50,000 examples'.

The counted profile stands for a larger dataset with the same example-length distribution, exactly as a sampled
profile stands for the corpus it was drawn from (DatasetProfile.sample estimates; the resolution scales the
length table by estimated / counted examples).
"""

from __future__ import annotations

import copy
from typing import Any

from estimator.errors import ConfigurationError

SCALED = ("examples", "total_tokens", "trainable_tokens", "billed_tokens_per_epoch", "over_limit_examples",
          "over_context_examples")


def scaled_dataset(dataset: Any, model_id: str, examples: float, catalog) -> Any:
    """Count `dataset` with `model_id`'s tokenizer and return a profile standing for `examples` examples."""
    from estimator.planning.dataset_tokens import tokenizer_settings
    from estimator.tokens import count_tokens

    spec = catalog.model(model_id)
    settings, _ = tokenizer_settings(spec, "api" if spec.api_only else "lora")
    paths = [dataset] if isinstance(dataset, str) else list(dataset)
    profile = count_tokens(paths, encoding=settings["encoding"], factor=settings["factor"],
                           approximate=settings["approximate"], chat_format=settings["chat_format"],
                           context=spec.context)
    return scale_profile(profile, examples, f"{', '.join(map(str, paths))} ({profile.examples:,} examples, counted "
                                            f"with {spec.id}'s tokenizer)")


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
