"""Hosted fine-tuning billing: billed tokens, default epochs, training dollars (per token or per hour) and the
monthly cost of serving the tuned model (per-token prices, hourly hosting, provisioned throughput, storage)."""

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
      source="OpenAI fine-tuning guide: 100,000 tokens × 3 epochs on gpt-4o-mini ≈ $0.90; Together AI and Fireworks "
             "pricing docs (tokens × epochs × rate)")
def api_token_training_usd(billed_tokens, training_usd_per_1m_tokens):
    return billed_tokens / 1e6 * training_usd_per_1m_tokens


@rule(unit="USD", formula="training hours × price per training hour",
      source="OpenAI help center 11323177 (RFT: $100 per hour of core training time, prorated to the second); "
             "Azure OpenAI fine-tuning cost management (RFT: time × hourly training cost)")
def api_hourly_training_usd(training_hours, training_usd_per_hour):
    return training_hours * training_usd_per_hour


@rule(unit="USD", formula="max(minimum fee per job, per-token cost if billed per token else per-hour cost)",
      source="service's billing model (apis table 'billing'); Mistral docs: minimum fee of $4 per fine-tuning job")
def api_cost_usd(api_billing, api_token_training_usd, api_hourly_training_usd, min_job_usd):
    import numpy as np

    per_token = np.asarray(api_billing, dtype=object) == "per_token"
    return np.maximum(np.where(per_token, api_token_training_usd, api_hourly_training_usd), min_job_usd)


HOURS_PER_MONTH = 730.5  # 8766 h a year / 12 (365.25 days)


@rule(unit="USD/month", formula="input tokens/month / 1e6 × input price + output tokens/month / 1e6 × output price "
      "(0 when the service serves through provisioned capacity)",
      source="per-token inference prices of the tuned model (apis table); Fireworks pricing: LoRA served at the base "
             "model's rate; Vertex AI: tuned Gemini served at base-model rates")
def api_token_serving_usd_per_month(api_serving, monthly_input_tokens, monthly_output_tokens,
                                    serving_input_usd_per_1m_tokens, serving_output_usd_per_1m_tokens):
    import numpy as np

    with np.errstate(invalid="ignore"):
        tokens = (np.where(monthly_input_tokens > 0, monthly_input_tokens * serving_input_usd_per_1m_tokens, 0.0)
                  + np.where(monthly_output_tokens > 0, monthly_output_tokens * serving_output_usd_per_1m_tokens, 0.0))
    return np.where(np.asarray(api_serving, dtype=object) == "provisioned_throughput", 0.0, tokens / 1e6)


@rule(unit="USD/month", formula="(hosting $/h + provisioned $/h × units) × 730.5 h + storage $/month",
      source="Azure OpenAI cost guide: $1.70/hour hosting for a deployed fine-tuned model, accrued every hour; AWS "
             "Bedrock user guide: a customized model is served only through hourly Provisioned Throughput; Mistral "
             "docs: $2 monthly storage per fine-tuned model")
def api_fixed_serving_usd_per_month(hosting_usd_per_hour, provisioned_usd_per_hour, provisioned_units,
                                    storage_usd_per_month):
    return (hosting_usd_per_hour + provisioned_usd_per_hour * provisioned_units) * HOURS_PER_MONTH + storage_usd_per_month


@rule(unit="USD/month", formula="token charges + hosting, provisioned capacity and storage",
      source="sum of the two rules above")
def api_serving_usd_per_month(api_token_serving_usd_per_month, api_fixed_serving_usd_per_month):
    return api_token_serving_usd_per_month + api_fixed_serving_usd_per_month
