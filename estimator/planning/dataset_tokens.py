"""A dataset counted once with the model's tokenizer: the statistics the token rules start from."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from estimator.planning.engine import Given, Origin


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


@dataclass
class Counted:
    """A counted dataset: its profile, what to warn about, and the statistics the rules start from."""

    profile: Any  # estimator.tokens.DatasetProfile
    warnings: list[str]
    givens: dict[str, Given]


def dataset_profile(dataset: Any, spec: Any, kind: str, *settings: Any) -> Counted:
    """Count `dataset` (paths, or an already counted DatasetProfile) with the model's tokenizer.

    kind 'gpu' with settings (seq_len, micro_batch, packing); kind 'api' with settings (per-example cap,).
    The tokens the run trains on or is billed for are computed from these statistics by the rules
    (`tokens`, `billed_tokens_per_epoch`), not here.
    """
    from estimator.tokens import DatasetProfile

    method = "api" if kind == "api" else "lora"
    seq_len, micro_batch = (int(settings[0]), int(settings[1])) if kind == "gpu" else (None, 1)
    cap = (int(settings[0]) if settings and settings[0] == settings[0] and settings[0] != float("inf") else None
           ) if kind == "api" else None
    from estimator.planning.scaled_dataset import ScaledDataset, scale_profile

    settings_, warnings = tokenizer_settings(spec, method)
    scaled = dataset if isinstance(dataset, ScaledDataset) else None
    if scaled is not None:
        dataset = list(scaled.paths)
    if isinstance(dataset, DatasetProfile):
        profile, where = dataset, "a counted dataset profile"
    else:
        paths = _paths(dataset)
        encoding, factor, approximate, chat_format = (settings_[k] for k in ("encoding", "factor", "approximate",
                                                                              "chat_format"))
        profile = _count(_fingerprint(paths), encoding, float(factor), bool(approximate), chat_format,
                         spec.context, cap, seq_len, micro_batch)
        where = ", ".join(paths)
    if scaled is not None:  # counted with this route's tokenizer and settings, then standing for the whole job
        profile = scale_profile(profile, scaled.examples, scaled.label)
        where = str(scaled)
    d = profile.to_dict()
    how = f"{d['encoding']}" + (f" × {d['factor']:g} (approximate)" if d["approximate"] else " (exact)")
    summary = f"{where}: {d['examples']:,} examples, {d['total_tokens']:,} tokens counted with {how}"
    if d["approximate"]:
        warnings.append(f"token count is approximate: {spec.id}'s tokenizer is not bundled; {how}")
    if d["over_limit_examples"] and cap:
        warnings.append(f"{d['over_limit_examples']:,} examples exceed the {cap:,}-token per-example limit "
                        "and will be truncated")
    if d["over_context_examples"] and kind != "api":
        warnings.append(f"{d['over_context_examples']:,} examples exceed {spec.id}'s {spec.context:,}-token context")
    counts = d["finding_counts"]
    if counts:
        from estimator.tokens.findings import ERROR_KINDS

        ranked = sorted(d["findings"], key=lambda f: f["kind"] not in ERROR_KINDS)  # errors first, then file order
        first = ranked[0] if ranked else None
        detail = f" (first: {first['file']}:{first['line']}: {first['message']})" if first else ""
        warnings.append(f"dataset findings: {', '.join(f'{k} {v}' for k, v in counts.items())}{detail}")
    origin = (Origin("dataset", where, summary),)
    scale = d["examples"] / profile.examples if profile.examples else 1.0  # a sampled profile stands for the whole
    lengths = np.array(sorted(profile.lengths), dtype=float)
    givens = {
        "dataset_examples": Given(float(d["examples"]), "examples", summary, "dataset", "examples counted", origin),
        "dataset_total_tokens": Given(float(d["total_tokens"]), "tokens", summary, "dataset",
                                      f"tokens counted with {how}", origin),
        "dataset_lengths": Given(lengths[None, :], "tokens", summary, "dataset", "distinct example lengths", origin),
        "dataset_length_counts": Given(np.array([[profile.lengths[int(k)] for k in lengths]], dtype=float) * scale,
                                       "examples", summary, "dataset", "examples of each length", origin),
    }
    return Counted(profile, warnings, givens)
