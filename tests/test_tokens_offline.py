"""No code path opens a network connection: every bundled encoding loads and counts offline."""

import hashlib
import json
import socket
from importlib import resources

import pytest

from estimator.tokens import count_tokens, encodings
from estimator.tokens.encodings import ENCODING_SHA256, get_encoding


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-cache"))  # no cached download to lean on
    get_encoding.cache_clear()
    encodings._hf_tokenizer.cache_clear()
    from estimator.tokens.shard import counter_for
    counter_for.cache_clear()
    yield
    get_encoding.cache_clear()
    counter_for.cache_clear()


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base", "p50k_base", "r50k_base"])
def test_count_with_every_encoding_offline(no_network, tmp_path, name):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "Hello <|endoftext|> world"},
                                             {"role": "assistant", "content": "Hi!"}]}) + "\n")
    d = count_tokens(path, encoding=name, workers=1).to_dict()
    assert d["encoding"] == name and d["total_tokens"] > 10


def test_bundled_files_match_tiktoken_hashes():
    """The sha256 we ship equals the expected_hash in tiktoken_ext/openai_public.py."""
    import inspect

    from tiktoken_ext import openai_public

    source = inspect.getsource(openai_public)
    for name, digest in ENCODING_SHA256.items():
        assert digest in source
        data = resources.files("estimator").joinpath("data", "encodings", f"{name}.tiktoken").read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest


def test_known_token_counts():
    """Token ids published in OpenAI's cookbook How_to_count_tokens_with_tiktoken (o200k, gpt-4o-mini)
    and tiktoken's tests / README (cl100k 'tiktoken is great!', r50k 'hello world')."""
    assert get_encoding("o200k_base").encode_ordinary("tiktoken is great!") == [83, 8251, 2488, 382, 2212, 0]
    assert get_encoding("cl100k_base").encode_ordinary("tiktoken is great!") == [83, 1609, 5963, 374, 2294, 0]
    assert get_encoding("r50k_base").encode_ordinary("hello world") == [31373, 995]


def test_tampered_file_is_refused(monkeypatch):
    monkeypatch.setitem(ENCODING_SHA256, "p50k_base", "0" * 64)
    get_encoding.cache_clear()
    with pytest.raises(Exception, match="sha256"):
        get_encoding("p50k_base")
    get_encoding.cache_clear()
