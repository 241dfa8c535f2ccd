"""`estimator count` through click's CliRunner: options reach the library, output is rendered."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from estimator.cli.count import count


def write_chat(path, n=10):
    rows = [{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": f"Q{i}"},
                          {"role": "assistant", "content": f"A{i} " * (i + 1)}]} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def run(*args):
    result = CliRunner().invoke(count, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_json_has_the_documented_keys(tmp_path):
    d = json.loads(run(write_chat(tmp_path / "c.jsonl"), "--format", "json", "--seq-len", "32"))
    for key in ("examples", "total_tokens", "trainable_tokens", "billed_tokens_per_epoch", "default_epochs",
                "billed_tokens", "over_limit_examples", "approximate", "encoding", "findings", "tokens_by_role",
                "length", "computed_tokens"):
        assert key in d
    assert set(d["length"]) >= {"min", "max", "mean", "median", "p5", "p95", "histogram"}
    assert d["examples"] == 10 and d["default_epochs"] == 10
    assert d["computed_tokens"]["padded_tokens"] == 10 * 32


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown"])
def test_other_formats(tmp_path, fmt):
    out = run(write_chat(tmp_path / "c.jsonl"), "--format", fmt, "--encoding", "o200k_base")
    if fmt == "csv":
        row = next(csv.DictReader(io.StringIO(out)))
        assert row["examples"] == "10" and row["encoding"] == "o200k_base"
    else:
        assert "total_tokens" in out and "o200k_base" in out


def test_quiet_and_progress_never_touch_stdout(tmp_path):
    path = write_chat(tmp_path / "c.jsonl")
    assert run(path, "--format", "json") == run(path, "--format", "json", "--quiet")


def test_strict_fails_with_file_and_line(tmp_path):
    path = write_chat(tmp_path / "c.jsonl", 3)
    with open(path, "a") as f:
        f.write("{oops\n")
    assert json.loads(run(path, "--format", "json"))["finding_counts"]["invalid_json"] == 1
    result = CliRunner().invoke(count, [str(path), "--strict"])
    assert result.exit_code == 1 and f"{path}:4:" in result.output and "Traceback" not in result.output


def test_model_sets_tokenizer_context_and_cap(tmp_path):
    pytest.importorskip("estimator.catalog.loader")
    from estimator.catalog.loader import load_catalog

    cat = load_catalog()
    model = cat.model("gpt-4o-mini")
    api = cat.api_for("gpt-4o-mini")
    d = json.loads(run(write_chat(tmp_path / "c.jsonl"), "--model", "gpt-4o-mini", "--format", "json"))
    assert d["encoding"] == model.tokenizer.encoding
    assert d["context"] == model.context
    assert d["example_cap"] == (api.max_example_tokens if api else None)
    d2 = json.loads(run(tmp_path / "c.jsonl", "--model", "gpt-4o-mini", "--example-cap", "5", "--format", "json"))
    assert d2["example_cap"] == 5 and d2["over_limit_examples"] == 10


def test_unknown_model_is_a_one_line_error(tmp_path):
    pytest.importorskip("estimator.catalog.loader")
    result = CliRunner().invoke(count, [str(write_chat(tmp_path / "c.jsonl")), "--model", "no-such-model-xyz"])
    assert result.exit_code != 0 and result.output.startswith("Error:") and "Traceback" not in result.output


def test_tokenizer_json_exact_count(tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    tok = tokenizers.Tokenizer(WordLevel({"[UNK]": 0, "hello": 1, "world": 2}, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    tok.save(str(tmp_path / "tokenizer.json"))
    (tmp_path / "t.txt").write_text("hello world\nhello\n")
    d = json.loads(run(tmp_path / "t.txt", "--format-in", "lines", "--tokenizer", tmp_path / "tokenizer.json",
                       "--format", "json"))
    assert d["total_tokens"] == 3 and d["approximate"] is False
