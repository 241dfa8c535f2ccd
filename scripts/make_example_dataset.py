"""Regenerate estimator/data/examples/catalog_qa.jsonl: a small chat fine-tuning set built from the
bundled catalog itself (questions about models and GPUs, answered from the YAML tables), so the example
has real, varied text and no third-party licence. Run: python scripts/make_example_dataset.py"""

from __future__ import annotations

import json
import random
from pathlib import Path

from estimator.catalog.loader import load_catalog

SYSTEM = "You are a concise assistant that answers questions about language models and AI accelerators."


def examples(cat):
    for m in cat.models.values():
        if m.params:
            yield (f"How many parameters does {m.name} have?",
                   f"{m.name} has about {m.params / 1e9:.3g} billion parameters"
                   + (f", of which {m.active_params / 1e9:.3g} billion are active per token." if m.active_params else "."))
        if m.layers and m.hidden:
            yield (f"Describe the architecture of {m.name}.",
                   f"{m.name} is a decoder-only transformer with {m.layers} layers, a hidden size of {m.hidden}, "
                   f"{m.heads} attention heads" + (f" ({m.kv_heads} key-value heads, grouped-query attention)"
                                                    if m.kv_heads and m.kv_heads != m.heads else "")
                   + (f" and a feed-forward size of {m.ffn}" if m.ffn else "") + f". Source: {m.source}.")
        if m.context:
            yield (f"What is the context length of {m.name}?",
                   f"{m.name} accepts up to {m.context:,} tokens of context.")
    for h in cat.hardware.values():
        bf16 = h.peak_tflops.get("bf16") or h.peak_tflops.get("fp16")
        yield (f"How much memory does the {h.name} have, and how fast is it?",
               f"The {h.name} has {h.memory_gb:g} GB of memory" + (f" at {h.bandwidth_tbps:g} TB/s" if h.bandwidth_tbps else "")
               + (f" and a dense 16-bit peak of {bf16:g} TFLOP/s" if bf16 else "") + f". Source: {h.source}.")
    for p in cat.gpu_prices.values():
        yield (f"What does one {p.gpu} cost per hour at {p.provider} ({p.tier.replace('_', '-')})?",
               f"About ${p.usd_per_gpu_hour:.2f} per GPU-hour as of {p.as_of}"
               + (f" ({p.instance})" if p.instance else "") + ".")


def main() -> None:
    rows = list(examples(load_catalog(use_env=False)))
    random.Random(0).shuffle(rows)
    out = Path(__file__).resolve().parent.parent / "estimator" / "data" / "examples" / "catalog_qa.jsonl"
    with out.open("w", encoding="utf-8") as f:
        for q, a in rows:
            f.write(json.dumps({"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": q},
                                             {"role": "assistant", "content": a}]}, ensure_ascii=False) + "\n")
    print(f"{len(rows)} examples -> {out}")


if __name__ == "__main__":
    main()
