"""The OpenAI cookbook's data-prep notebook figures, reproduced on its own toy file.

Source: openai/openai-cookbook, examples/Chat_finetuning_data_prep.ipynb (version with
MAX_TOKENS_PER_EXAMPLE = 4096) run on examples/data/toy_chat_fine_tuning.jsonl: 5 examples,
4306 billed tokens per epoch, 20 epochs, ~86120 billed tokens.
"""

import json

from click.testing import CliRunner

from estimator.cli.count import count
from estimator.tokens import count_tokens

SYSTEM = "You are a happy assistant that puts a positive spin on everything."


def _m(role, content):
    return {"role": role, "content": content}


TOY_EXAMPLES = [
    {"messages": [_m("system", SYSTEM), _m("user", "I fell off my bike today."),
                  _m("assistant", "It's great that you're getting exercise outdoors!")]},
    {"messages": [_m("system", SYSTEM), _m("user", "I lost my tennis match today."),
                  _m("assistant", "It's ok, it happens to everyone."), _m("user", "But I trained so hard!"),
                  _m("assistant", "It will pay off next time."), _m("user", "I'm going to switch to golf."),
                  _m("assistant", "Golf is fun too!"), _m("user", "I don't even know how to play golf."),
                  _m("assistant", "It's easy to learn!")]},
    {"messages": [_m("user", "I lost my book today."), _m("assistant", "You can read everything on ebooks these days!")]},
    {"messages": [_m("system", SYSTEM), _m("assistant", "You're great!")]},
    {"messages": [_m("system", SYSTEM), _m("user", "I'm hungry."), _m("assistant", "Eat a banana!" * 2000)]},
]


def write_toy_chat(path):
    """Rebuild toy_chat_fine_tuning.jsonl byte for byte (27,385 bytes, json.dumps default separators)."""
    text = "".join(json.dumps(e) + "\n" for e in TOY_EXAMPLES)
    assert len(text.encode()) == 27385
    path.write_text(text)
    return path


def test_cookbook_toy_chat_4306_billed_tokens_20_epochs_86120(tmp_path):
    d = count_tokens(write_toy_chat(tmp_path / "toy_chat_fine_tuning.jsonl"), encoding="cl100k_base",
                     example_cap=4096).to_dict()
    assert d["examples"] == 5
    assert d["billed_tokens_per_epoch"] == 4306
    assert d["default_epochs"] == 20
    assert d["billed_tokens"] == 86120
    assert d["over_limit_examples"] == 1
    assert d["finding_counts"] == {"missing_system_message": 1, "missing_user_message": 1, "over_example_cap": 1}
    # per-example lengths the notebook prints: min 26, max 8032; total = sum of them
    assert (d["length"]["min"], d["length"]["max"], d["total_tokens"]) == (26, 8032, 45 + 111 + 26 + 28 + 8032)
    assert sum(d["tokens_by_role"].values()) == d["total_tokens"]


def test_cookbook_toy_chat_via_cli_json(tmp_path):
    path = write_toy_chat(tmp_path / "toy.jsonl")
    result = CliRunner().invoke(count, [str(path), "--encoding", "cl100k_base", "--example-cap", "4096", "--format", "json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert (d["billed_tokens_per_epoch"], d["default_epochs"], d["billed_tokens"]) == (4306, 20, 86120)
    assert {"file", "line", "kind", "message"} <= set(d["findings"][0])


def test_current_openai_cap_removes_truncation(tmp_path):
    """With today's 65,536-token cap (gpt-4o-mini) nothing is truncated: 8,242 tokens per epoch are billed."""
    d = count_tokens(write_toy_chat(tmp_path / "toy.jsonl"), example_cap=65536).to_dict()
    assert d["over_limit_examples"] == 0
    assert d["billed_tokens_per_epoch"] == d["total_tokens"] == 8242
    assert d["billed_tokens"] == 8242 * 20
