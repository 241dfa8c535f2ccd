"""Offline tokenizers: tiktoken encodings from package data, and HF tokenizer.json files.

tiktoken downloads its BPE rank tables on first use. We never let it: the four
tables ship in ``estimator/data/encodings`` and are read with importlib.resources,
their sha256 checked against the hash tiktoken itself expects. Each encoding is built
with tiktoken's public constructor ``tiktoken.Encoding(name, pat_str=..., mergeable_ranks=...,
special_tokens=...)``; the regex and special tokens below are those of
``tiktoken_ext/openai_public.py`` (tiktoken 0.7 to 0.14), and a test checks that the
result encodes known strings to the token ids OpenAI publishes.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from estimator.errors import DatasetError, EstimatorError

# sha256 of each bundled file; the same values tiktoken_ext/openai_public.py passes as expected_hash.
ENCODING_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "p50k_base": "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    "r50k_base": "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
}
ENCODINGS = tuple(ENCODING_SHA256)
ALIASES = {"gpt2": "r50k_base"}  # gpt2 is r50k_base with the same ranks and special token

ENDOFTEXT, ENDOFPROMPT = "<|endoftext|>", "<|endofprompt|>"
FIM_PREFIX, FIM_MIDDLE, FIM_SUFFIX = "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>"
_R50K_PAT = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
_CL100K_PAT = (r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$"""
               r"""|\s*[\r\n]|\s+(?!\S)|\s""")
_O200K_PAT = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])
# name -> (pat_str, special tokens), as in tiktoken_ext/openai_public.py
_DEFINITIONS = {
    "r50k_base": (_R50K_PAT, {ENDOFTEXT: 50256}),
    "p50k_base": (_R50K_PAT, {ENDOFTEXT: 50256}),
    "cl100k_base": (_CL100K_PAT, {ENDOFTEXT: 100257, FIM_PREFIX: 100258, FIM_MIDDLE: 100259, FIM_SUFFIX: 100260,
                                  ENDOFPROMPT: 100276}),
    "o200k_base": (_O200K_PAT, {ENDOFTEXT: 199999, ENDOFPROMPT: 200018}),
}


def _ranks(name: str) -> dict[bytes, int]:
    """Rank table for ``name`` from package data, verified against its sha256."""
    expected_hash = ENCODING_SHA256[name]
    ref = resources.files("estimator").joinpath("data", "encodings", f"{name}.tiktoken")
    with resources.as_file(ref) as path:
        if not path.is_file():
            raise EstimatorError(f"bundled encoding file {name}.tiktoken is missing from the package")
        data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != expected_hash:
        raise EstimatorError(f"bundled encoding file {name}.tiktoken fails its sha256 check")
    # Format (tiktoken/load.py): one "<base64 token> <rank>" pair per line. Parsed here rather than with
    # tiktoken.load.load_tiktoken_bpe, which would also copy the file into tiktoken's cache directory.
    return {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}


@cache
def get_encoding(name: str = "cl100k_base"):
    """A ``tiktoken.Encoding`` built offline from the bundled rank table (cached per process)."""
    import tiktoken

    canonical = ALIASES.get(name, name)
    if canonical not in ENCODING_SHA256:
        raise EstimatorError(f"unknown encoding '{name}'; bundled: {', '.join(ENCODINGS)}")
    pat_str, special = _DEFINITIONS[canonical]
    return tiktoken.Encoding(name, pat_str=pat_str, mergeable_ranks=_ranks(canonical), special_tokens=dict(special))


@dataclass(frozen=True)
class TokenizerSpec:
    """What a worker needs to rebuild the tokenizer: picklable, small."""

    encoding: str = "cl100k_base"
    tokenizer_file: str | None = None

    @property
    def name(self) -> str:
        return f"tokenizer.json:{self.tokenizer_file}" if self.tokenizer_file else self.encoding


class Counter:
    """Counts tokens of many texts at once; special-token text is counted as ordinary text."""

    def __init__(self, spec: TokenizerSpec):
        self.spec = spec
        self._small: dict[str, int] = {}
        if spec.tokenizer_file:
            self._hf = _hf_tokenizer(spec.tokenizer_file)
            self._encode = None
        else:
            self._hf = None
            self._encode = get_encoding(spec.encoding).encode_ordinary

    def count_batch(self, texts: list[str]) -> list[int]:
        if self._hf is not None:
            return [len(e.ids) for e in self._hf.encode_batch(texts, add_special_tokens=False)]
        encode = self._encode
        return [len(encode(t)) for t in texts]

    def count_small(self, text: str) -> int:
        """Count of a short, often repeated string (a role, a name, a key), memoised."""
        n = self._small.get(text)
        if n is None:
            n = self.count_batch([text])[0]
            if len(self._small) < 10_000:
                self._small[text] = n
        return n


@lru_cache(maxsize=8)
def _hf_tokenizer(path: str):
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise EstimatorError("--tokenizer needs the optional 'tokenizers' package (pip install tokenizers)") from None
    try:
        return Tokenizer.from_file(path)
    except Exception as exc:  # the Rust side raises plain Exception with a long message
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatasetError(f"{path}: not a readable tokenizer.json ({first})") from None
