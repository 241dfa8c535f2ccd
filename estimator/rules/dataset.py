"""A dataset's tokens per epoch on GPUs: packed into sequences or padded, micro-batches filled."""

from __future__ import annotations

import numpy as np

from estimator.rules.base import rule


@rule(unit="tokens", formula="⌈⌈D / s⌉ / b⌉ · b · s: examples concatenated into rows of s tokens, micro-batches filled",
      source="sequence packing as in Raffel et al. 2020 (T5) sec. 3.1.2 and Hugging Face TRL SFTTrainer packing=True")
def packed_tokens_per_epoch(dataset_total_tokens, seq_len, micro_batch):
    return np.ceil(np.ceil(dataset_total_tokens / seq_len) / micro_batch) * micro_batch * seq_len


@rule(unit="tokens", formula="⌈n / b⌉ · b · s: every example padded (or truncated) to s tokens, micro-batches filled",
      source="padding to a fixed length (Hugging Face Transformers DataCollator padding='max_length')")
def padded_tokens_per_epoch(dataset_examples, seq_len, micro_batch):
    return np.ceil(dataset_examples / micro_batch) * micro_batch * seq_len


@rule(unit="tokens", formula="packed tokens if packing else padded tokens (the tokens the GPUs process per epoch)",
      source="definition", uses=lambda v: ("packing", "packed_tokens_per_epoch" if v["packing"] else "padded_tokens_per_epoch"))
def tokens(packing, packed_tokens_per_epoch, padded_tokens_per_epoch):
    return np.where(np.asarray(packing, dtype=bool), packed_tokens_per_epoch, padded_tokens_per_epoch)
