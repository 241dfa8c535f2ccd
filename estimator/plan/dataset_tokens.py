"""A dataset as the token counts that drive an estimate: billed tokens for an API, computed tokens for GPUs."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from estimator.plan.engine import Given


@dataclass
class DatasetTokens:
    profile: Any  # estimator.tokens.DatasetProfile
    tokens: Given  # per epoch: billed (api) or computed on GPUs (packed or padded)
    default_epochs: Given | None  # the API's rule (cookbook) for method api
    warnings: list[str]
    summary: str


def _paths(dataset: Any) -> tuple[str, ...]:
    items = dataset if isinstance(dataset, (list, tuple)) else [dataset]
    return tuple(os.fspath(p) for p in items)


def _fingerprint(paths: tuple[str, ...]) -> tuple:
    out = []
    for p in paths:
        try:
            st = Path(p).stat()
            out.append((p, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((p, None, None))
    return tuple(out)


@functools.lru_cache(maxsize=32)
def _count(fingerprint: tuple, encoding: str, factor: float, approximate: bool, chat_format: Any,
           context: int | None, example_cap: int | None, seq_len: int | None, micro_batch: int):
    from estimator.tokens import count_tokens

    return count_tokens([p for p, _, _ in fingerprint], encoding=encoding, factor=factor, approximate=approximate,
                        chat_format=chat_format, context=context, example_cap=example_cap, seq_len=seq_len,
                        micro_batch=micro_batch)


def tokenizer_settings(spec: Any, method: str) -> tuple[dict[str, Any], list[str]]:
    """How to count for a model: bundled encoding, factor, approximate flag, chat overhead (OpenAI's rule for
    API models, else the model's declared template overhead)."""
    tok = spec.tokenizer
    warnings: list[str] = []
    if tok is None:
        warnings.append(f"{spec.id} declares no tokenizer: counted with cl100k_base (approximate)")
    if method == "api" or spec.api_only:
        chat_format: Any = "openai"
    elif spec.chat_template_tokens_per_message is not None:
        chat_format = int(spec.chat_template_tokens_per_message)
    else:
        chat_format = "openai"
        warnings.append(f"{spec.id} declares no chat-template overhead: using OpenAI's 3 tokens per message")
    return {"encoding": tok.encoding if tok else "cl100k_base", "factor": float(tok.factor) if tok else 1.0,
            "approximate": bool(tok.approximate) if tok else True, "chat_format": chat_format}, warnings


def dataset_tokens(dataset: Any, spec: Any, method: str, *, example_cap: int | None, seq_len: int | None,
                   micro_batch: int = 1, packing: bool = True) -> DatasetTokens:
    """Count `dataset` with the model's tokenizer and turn the profile into per-epoch training tokens."""
    paths = _paths(dataset)
    settings, warnings = tokenizer_settings(spec, method)
    encoding, factor, approximate, chat_format = (settings[k] for k in ("encoding", "factor", "approximate",
                                                                         "chat_format"))
    s = int(seq_len) if seq_len and method != "api" else None
    profile = _count(_fingerprint(paths), encoding, float(factor), bool(approximate), chat_format,
                     spec.context, example_cap, s, int(micro_batch))
    d = profile.to_dict()
    where = ", ".join(paths)
    how = f"{encoding}" + (f" × {factor:g} (approximate)" if d["approximate"] else " (exact)")
    summary = f"{where}: {d['examples']:,} examples, {d['total_tokens']:,} tokens counted with {how}"
    if d["approximate"]:
        warnings.append(f"token count is approximate: {spec.id}'s tokenizer is not bundled; {how}")
    if d["over_limit_examples"]:
        warnings.append(f"{d['over_limit_examples']:,} examples exceed the {example_cap:,}-token per-example limit "
                        "and will be truncated")
    if d["over_context_examples"] and method != "api":
        warnings.append(f"{d['over_context_examples']:,} examples exceed {spec.id}'s {spec.context:,}-token context")
    counts = d["finding_counts"]
    if counts:
        from estimator.tokens.findings import ERROR_KINDS

        ranked = sorted(d["findings"], key=lambda f: f["kind"] not in ERROR_KINDS)  # errors first, then file order
        first = ranked[0] if ranked else None
        detail = f" (first: {first['file']}:{first['line']}: {first['message']})" if first else ""
        warnings.append(f"dataset findings: {', '.join(f'{k} {v}' for k, v in counts.items())}{detail}")
    if method == "api":
        tokens = Given(d["billed_tokens_per_epoch"], "tokens", summary, "dataset",
                       f"Σ_examples min({example_cap or '∞'}, tokens) per epoch")
        n = d["examples"]
        epochs = Given(d["default_epochs"], "epochs", "OpenAI Cookbook data-prep notebook: 3, clamped so that examples × "
                       "epochs stays in [100, 25000] and epochs in [1, 25]", "dataset",
                       f"default epochs for {n:,} examples") if d["default_epochs"] else None
        return DatasetTokens(profile, tokens, epochs, warnings, summary)
    computed = d["computed_tokens"] or {}
    key = "packed_tokens" if packing else "padded_tokens"
    value = computed.get(key, d["total_tokens"])
    formula = (f"packed into rows of {s} tokens: ⌈D / s⌉ rows" if packing else
               f"each example padded/truncated to {s} tokens (padding efficiency "
               f"{computed.get('padding_efficiency') or 0:.0%})")
    tokens = Given(value, "tokens", summary, "dataset", formula)
    return DatasetTokens(profile, tokens, None, warnings, summary)
