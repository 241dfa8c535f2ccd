"""Hosted fine-tuning billing (OpenAI): billed tokens, default epochs, dollars."""

from __future__ import annotations

import numpy as np

from estimator.rules.base import rule

# OpenAI Cookbook, examples/Chat_finetuning_data_prep.ipynb, "Cost Estimation" cell.
COOKBOOK = ("OpenAI Cookbook, examples/Chat_finetuning_data_prep.ipynb, 'Cost Estimation': TARGET_EPOCHS = 3, "
            "MIN_TARGET_EXAMPLES = 100, MAX_TARGET_EXAMPLES = 25000, MIN_DEFAULT_EPOCHS = 1, MAX_DEFAULT_EPOCHS = 25")


@rule(unit="epochs", formula="3; if n·3 < 100: min(25, 100 // n); if n·3 > 25000: max(1, 25000 // n)", source=COOKBOOK)
def api_default_epochs(dataset_examples):
    n = np.asarray(dataset_examples, dtype=float)
    with np.errstate(all="ignore"):
        low = np.minimum(25.0, np.floor(100.0 / n))
        high = np.maximum(1.0, np.floor(25000.0 / n))
    out = np.select([n * 3 < 100, n * 3 > 25000], [low, high], 3.0)
    return np.where(n > 0, out, np.nan)


def default_epochs(n_examples: int) -> int:
    """The cookbook's default epochs for one dataset (api_default_epochs on a single count)."""
    if n_examples <= 0:
        raise ValueError("default_epochs needs at least one example")
    return int(api_default_epochs(n_examples))


def _uses_epochs(v):
    api_dataset = v["method"] == "api" and v["dataset_examples"] == v["dataset_examples"] and v["dataset_examples"] > 0
    return ("method", "dataset_examples", "api_default_epochs") if api_dataset else ("method", "default_epochs")


@rule(unit="epochs", formula="the API's default (api_default_epochs) for a hosted run on a dataset; else the "
      "'default_epochs' table", source="OpenAI fine-tuning guide: n_epochs 'auto' picks epochs from the dataset size",
      uses=_uses_epochs)
def epochs(method, dataset_examples, api_default_epochs, default_epochs):
    api_dataset = (np.asarray(method, dtype=object) == "api") & (np.asarray(dataset_examples, dtype=float) > 0)
    return np.where(api_dataset, api_default_epochs, default_epochs)


@rule(unit="tokens", formula="Σ_examples min(cap, tokens of the example): each example beyond the per-example limit "
      "is billed (and trained) truncated", source="OpenAI fine-tuning guide, 'Token limits': examples longer than the "
      "limit are truncated; 'Estimate costs': tokens in the file")
def billed_tokens_per_epoch(dataset_lengths, dataset_length_counts, max_example_tokens):
    lengths = np.atleast_2d(np.asarray(dataset_lengths, dtype=float))
    counts = np.atleast_2d(np.asarray(dataset_length_counts, dtype=float))
    cap = np.asarray(max_example_tokens, dtype=float)[..., None]
    total = np.nansum(np.fmin(lengths, cap) * counts, axis=-1)
    return total[0] if total.shape == (1,) else total


@rule(unit="tokens", formula="billed tokens per epoch × epochs",
      source="OpenAI fine-tuning guide, 'Estimate costs': base cost per 1M tokens ÷ 1M × tokens in the file × epochs")
def billed_tokens(billed_tokens_per_epoch, epochs):
    return billed_tokens_per_epoch * epochs


@rule(unit="USD", formula="billed tokens / 1e6 × training price per 1M tokens",
      source="OpenAI fine-tuning guide: 100,000 tokens × 3 epochs on gpt-4o-mini ≈ $0.90")
def api_cost_usd(billed_tokens, training_usd_per_1m_tokens):
    return billed_tokens / 1e6 * training_usd_per_1m_tokens
