"""count_tokens(model=...): catalog settings, the model's own tokenizer found on this machine (Hugging Face cache,
or a catalog entry's tokenizer.file) used without a flag, and the measured size of 'approximate' otherwise."""

import json

import pytest
import yaml
from click.testing import CliRunner

from estimator.cli.count import count
from estimator.tokens import count_tokens

tokenizers = pytest.importorskip("tokenizers")

CHAT = {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello world"},
                     {"role": "assistant", "content": "hello hello world"}]}


def word_tokenizer(path):
    """A tiny real tokenizer.json: one token per known word, so exact counts are easy to write down."""
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    tok = tokenizers.Tokenizer(WordLevel({"[UNK]": 0, "hello": 1, "world": 2, "be": 3, "brief": 4}, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    path.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(path))
    return path


@pytest.fixture
def hf_home(tmp_path, monkeypatch):
    home = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    return home


def data(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(CHAT) + "\n")
    return path


def test_model_tokenizer_in_hf_cache_is_used_without_a_flag(tmp_path, hf_home):
    from estimator.catalog import load_catalog

    spec = load_catalog().model("llama-3.1-8b")
    repo = hf_home / "hub" / "models--meta-llama--Llama-3.1-8B"
    tok = word_tokenizer(repo / "snapshots" / "0123abc" / "tokenizer.json")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abc")
    d = count_tokens(data(tmp_path), model="llama-3.1-8b").to_dict()
    per_message = spec.chat_template_tokens_per_message
    assert d["total_tokens"] == 3 * per_message + 2 + 2 + 3  # template overhead + 'be brief', 'hello world', ...
    assert d["approximate"] is False and d["factor"] == 1.0 and d["factor_check"] is None
    assert str(tok) in d["tokenizer_source"] and "Hugging Face cache" in d["tokenizer_source"]
    result = CliRunner().invoke(count, [str(data(tmp_path)), "--model", "llama-3.1-8b", "--format", "json"])
    assert result.exit_code == 0 and "found in the Hugging Face cache" in result.output
    # an explicit --encoding still wins over the cached file
    d2 = count_tokens(data(tmp_path), model="llama-3.1-8b", encoding="cl100k_base").to_dict()
    assert d2["tokenizer_source"] is None and d2["encoding"] == "cl100k_base"


def test_without_the_tokenizer_the_count_is_approximate_with_a_measured_error(tmp_path, hf_home):
    d = count_tokens(data(tmp_path), model="llama-2-7b").to_dict()
    assert d["approximate"] is True and d["tokenizer_source"] is None
    check = d["factor_check"]
    # benchmarks/measure_tokenizer_factors.py, 2026-12-02: Llama 2 tokenizer 8,289 vs cl100k 7,455 tokens on the
    # GPL v3; held out, 2,552 vs 2,270 on the Apache License 2.0 and 25,828 vs 19,652 on CPython's argparse.py
    assert check["family"] == "llama-2" and check["factor"] == d["factor"] == 1.112
    assert check["error"] == pytest.approx(1.112 / (8289 / 7455) - 1, abs=1e-4)
    assert [(h["kind"], h["error"]) for h in check["held_out"]] == [
        ("prose", pytest.approx(1.112 / (2552 / 2270) - 1, abs=1e-4)),
        ("code", pytest.approx(1.112 / (25828 / 19652) - 1, abs=1e-4))]
    result = CliRunner().invoke(count, [str(data(tmp_path)), "--model", "llama-2-7b"])
    assert result.exit_code == 0 and "off by about -1.1% on prose (the Apache License 2.0) and -15.4% on code" in result.output


def test_catalog_factors_are_the_measured_ones():
    """Every family with a measurement declares the measured factor (rounded to 3 decimals), not a hand-tuned one."""
    from estimator.catalog import load_catalog
    from estimator.tokens.factors import FAMILY, MEASURED, measured_factor

    seen = set()
    for spec in load_catalog().models.values():
        key = FAMILY.get(spec.family or "")
        if key is None:
            continue
        seen.add(key)
        assert spec.tokenizer.encoding == MEASURED[key]["encoding"], spec.id
        assert spec.tokenizer.factor == measured_factor(key), spec.id
        assert spec.tokenizer.approximate, spec.id
    assert seen == set(MEASURED)
    assert measured_factor("llama-2") == 1.112  # 8,289 / 7,455 = 1.1119


def test_user_catalog_entry_with_a_tokenizer_file(tmp_path, hf_home):
    from estimator.catalog import load_catalog

    entry = load_catalog().model("qwen2.5-7b").model_dump(exclude_none=True)
    tok = word_tokenizer(tmp_path / "mine" / "tokenizer.json")
    entry.update(id="my-qwen", name="My Qwen", aliases=[])
    entry["tokenizer"] = dict(entry["tokenizer"], file=str(tok))
    (tmp_path / "cat.yaml").write_text(yaml.safe_dump({"models": [entry]}))
    d = count_tokens(data(tmp_path), model="my-qwen", catalogs=[str(tmp_path / "cat.yaml")]).to_dict()
    assert d["approximate"] is False and "tokenizer.file" in d["tokenizer_source"]
    assert d["total_tokens"] == 3 * entry["chat_template_tokens_per_message"] + 7


def test_model_settings_match_the_catalog(tmp_path):
    from estimator.catalog import load_catalog

    cat = load_catalog()
    d = count_tokens(data(tmp_path), model="gpt-4o-mini").to_dict()
    assert d["encoding"] == cat.model("gpt-4o-mini").tokenizer.encoding
    assert d["example_cap"] == cat.api_for("gpt-4o-mini").max_example_tokens
    assert d["context"] == cat.model("gpt-4o-mini").context
