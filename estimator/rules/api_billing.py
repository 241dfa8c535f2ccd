"""Hosted fine-tuning billing (OpenAI): billed tokens, default epochs, dollars."""

from __future__ import annotations

# OpenAI Cookbook, examples/Chat_finetuning_data_prep.ipynb, "Cost Estimation" cell.
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


def default_epochs(n_examples: int) -> int:
    """Default n_epochs ("auto") as the OpenAI Cookbook's data-prep notebook reproduces it.

    Start at 3; if examples*3 < 100: min(25, 100 // examples); if examples*3 > 25000:
    max(1, 25000 // examples). E.g. 5 examples -> 20 epochs.
    """
    if n_examples <= 0:
        raise ValueError("default_epochs needs at least one example")
    epochs = TARGET_EPOCHS
    if n_examples * epochs < MIN_TARGET_EXAMPLES:
        epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    elif n_examples * epochs > MAX_TARGET_EXAMPLES:
        epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return epochs


# ---- rules ------------------------------------------------------------------------------
from estimator.rules.base import rule  # noqa: E402  (kept below the plain helpers above)


@rule(unit="tokens", formula="Σ_examples min(cap, tokens) × epochs",
      source="OpenAI fine-tuning guide, 'Estimate costs': base cost per 1M tokens ÷ 1M × tokens in the file × epochs")
def billed_tokens(billed_tokens_per_epoch, epochs):
    return billed_tokens_per_epoch * epochs


@rule(unit="USD", formula="billed tokens / 1e6 × training price per 1M tokens",
      source="OpenAI fine-tuning guide: 100,000 tokens × 3 epochs on gpt-4o-mini ≈ $0.90")
def api_cost_usd(billed_tokens, training_usd_per_1m_tokens):
    return billed_tokens / 1e6 * training_usd_per_1m_tokens
