"""Dataset token counting: exact offline tiktoken encodings, streaming readers, a mergeable profile.

    from estimator.tokens import count_tokens
    profile = count_tokens("train.jsonl", encoding="o200k_base", example_cap=65536)
    profile.to_dict()["billed_tokens"]
    count_tokens("s3://bucket/corpus/", model="llama-3.1-8b", scheduler="tcp://host:8786")  # fsspec + Dask
"""

from estimator.tokens.count import count_tokens
from estimator.tokens.encodings import ENCODINGS, get_encoding
from estimator.tokens.profile import CountSettings, DatasetProfile

__all__ = ["ENCODINGS", "CountSettings", "DatasetProfile", "count_tokens", "get_encoding"]
