"""Every input format gives the count its texts imply; compression and sharding change nothing."""

import bz2
import csv
import gzip
import json
import lzma

import pytest

from estimator.tokens import count_tokens, get_encoding

ENC = get_encoding("cl100k_base")


def n(text):
    return len(ENC.encode_ordinary(text))


def chat(i):
    return {"messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": f"Question number {i}?"},
                         {"role": "assistant", "content": f"Answer {i}, with some words {'x' * (i % 7)}."}]}


def chat_tokens(ex):
    """The cookbook rule written out: 3/message + every value + 3 per conversation."""
    return sum(3 + sum(n(v) for v in m.values()) for m in ex["messages"]) + 3


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def profile_dict(p):
    d = p.to_dict()
    d.pop("bytes")
    d["findings"] = [(f["line"], f["kind"]) for f in d["findings"]]
    return d


def test_chat_jsonl_matches_cookbook_rule(tmp_path):
    records = [chat(i) for i in range(50)]
    d = count_tokens(write_jsonl(tmp_path / "c.jsonl", records)).to_dict()
    assert d["examples"] == 50
    assert d["total_tokens"] == sum(chat_tokens(r) for r in records)
    assert d["trainable_tokens"] == sum(n(r["messages"][2]["content"]) for r in records)
    assert d["messages"] == 150


def test_name_adds_one_token_and_weight_zero_is_not_trainable(tmp_path):
    ex = {"messages": [{"role": "user", "content": "hi", "name": "bob"},
                       {"role": "assistant", "content": "draft answer", "weight": 0},
                       {"role": "user", "content": "again"},
                       {"role": "assistant", "content": "final answer", "weight": 1}]}
    d = count_tokens(write_jsonl(tmp_path / "w.jsonl", [ex])).to_dict()
    expected = (3 + n("user") + n("hi") + n("bob") + 1) + (3 + n("assistant") + n("draft answer")) \
        + (3 + n("user") + n("again")) + (3 + n("assistant") + n("final answer")) + 3
    assert d["total_tokens"] == expected
    assert d["trainable_tokens"] == n("final answer")
    assert d["findings"] == [] or all(f["kind"] != "message_unrecognized_key" for f in d["findings"])


def test_open_model_template_overhead_per_message(tmp_path):
    records = [chat(i) for i in range(5)]
    d = count_tokens(write_jsonl(tmp_path / "c.jsonl", records), chat_format=5).to_dict()
    assert d["total_tokens"] == sum(5 * 3 + sum(n(m["content"]) for m in r["messages"]) for r in records)


def test_factor_scales_content_and_marks_approximate(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [{"text": "hello world " * 50}])
    exact = count_tokens(path).to_dict()["total_tokens"]
    d = count_tokens(path, factor=1.1, approximate=True).to_dict()
    assert d["approximate"] is True
    assert d["total_tokens"] == round(exact * 1.1)


def test_prompt_completion_preference_text_and_alpaca(tmp_path):
    pc = write_jsonl(tmp_path / "pc.jsonl", [{"prompt": "Say hi", "completion": " hi"}])
    text = write_jsonl(tmp_path / "t.jsonl", [{"text": "plain pretraining text"}])
    d = count_tokens([pc, text]).to_dict()
    assert d["total_tokens"] == n("Say hi") + n(" hi") + n("plain pretraining text")
    assert d["trainable_tokens"] == n(" hi") + n("plain pretraining text")
    # one file, two shapes: the file is prompt/completion (its first record), the text line is a finding
    mixed = write_jsonl(tmp_path / "mixed.jsonl", [{"prompt": "Say hi", "completion": " hi"}, {"text": "plain"}])
    d = count_tokens(mixed).to_dict()
    assert (d["total_tokens"], d["skipped_lines"]) == (n("Say hi") + n(" hi"), 1)
    assert [(f["line"], f["kind"]) for f in d["findings"]] == [(2, "format_mismatch")]

    pref = {"input": {"messages": [{"role": "user", "content": "Capital of France?"}]},
            "preferred_output": [{"role": "assistant", "content": "Paris"}],
            "non_preferred_output": [{"role": "assistant", "content": "Lyon"}]}
    d = count_tokens(write_jsonl(tmp_path / "p.jsonl", [pref])).to_dict()
    user = 3 + n("user") + n("Capital of France?")
    assert d["total_tokens"] == 2 * user + (3 + n("assistant") + n("Paris")) + (3 + n("assistant") + n("Lyon")) + 6
    assert d["trainable_tokens"] == n("Paris") + n("Lyon")

    alpaca = [{"instruction": "Add", "input": "2 and 2", "output": "4"}, {"instruction": "Greet", "input": "", "output": "Hello"}]
    (tmp_path / "a.json").write_text(json.dumps(alpaca, indent=2))
    d = count_tokens(tmp_path / "a.json").to_dict()
    expected = (3 + n("user") + n("Add\n\n2 and 2") + 3 + n("assistant") + n("4") + 3) \
        + (3 + n("user") + n("Greet") + 3 + n("assistant") + n("Hello") + 3)
    assert (d["examples"], d["total_tokens"]) == (2, expected)


def test_tools_and_tool_calls_are_counted(tmp_path):
    ex = {"messages": [{"role": "user", "content": "weather?"},
                       {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                                             "function": {"name": "w", "arguments": "{}"}}]},
                       {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
                       {"role": "assistant", "content": "It is sunny."}],
          "tools": [{"type": "function", "function": {"name": "w", "parameters": {}}}]}
    d = count_tokens(write_jsonl(tmp_path / "t.jsonl", [ex])).to_dict()
    assert d["examples"] == 1 and d["tokens_by_role"]["tools"] > 0 and d["tokens_by_role"]["tool"] > 0
    assert not [f for f in d["findings"] if f["kind"] in ("missing_content", "message_missing_key")]


@pytest.mark.parametrize("opener,suffix", [(gzip.open, ".gz"), (bz2.open, ".bz2"), (lzma.open, ".xz"), (None, ".zst")])
def test_compressed_twin_gives_identical_profile(tmp_path, opener, suffix):
    records = [chat(i) for i in range(200)] + ["not an object", {"messages": []}]
    plain = write_jsonl(tmp_path / "d.jsonl", records)
    twin = tmp_path / f"d.jsonl{suffix}"
    if opener is None:
        zstd = pytest.importorskip("zstandard")
        twin.write_bytes(zstd.ZstdCompressor().compress(plain.read_bytes()))
    else:
        with opener(twin, "wb") as f:
            f.write(plain.read_bytes())
    a, b = profile_dict(count_tokens(plain)), profile_dict(count_tokens(twin))
    assert a == b
    assert a["finding_counts"]["data_type"] == 1 and a["findings"][0][0] == 201


def test_parquet_column_equals_same_texts_in_a_text_file(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    texts = [f"Document {i}: the quick brown fox jumps over {i * 3} lazy dogs." for i in range(300)]
    pq.write_table(pa.table({"id": list(range(300)), "text": texts}), tmp_path / "d.parquet")
    (tmp_path / "d.txt").write_text("\n".join(texts) + "\n")
    from_parquet = count_tokens(tmp_path / "d.parquet", column="text").to_dict()
    from_lines = count_tokens(tmp_path / "d.txt", format_in="lines").to_dict()
    assert from_parquet["total_tokens"] == from_lines["total_tokens"] == sum(n(t) for t in texts)
    assert from_parquet["examples"] == 300


def test_csv_and_tsv_column(tmp_path):
    rows = [("1", "first row, with a comma"), ("2", 'second "quoted" row\nover two lines')]
    for name, delim in (("d.csv", ","), ("d.tsv", "\t")):
        with open(tmp_path / name, "w", newline="") as f:
            w = csv.writer(f, delimiter=delim)
            w.writerow(["id", "body"])
            w.writerows(rows)
        d = count_tokens(tmp_path / name, column="body").to_dict()
        assert d["total_tokens"] == sum(n(r[1]) for r in rows)


def test_text_and_markdown_document_count_is_exact(tmp_path):
    doc = "# Title\n\nSome   text with  spaces.\n\n\n  indented line\n" * 2000
    (tmp_path / "a.md").write_text(doc)
    d = count_tokens(tmp_path / "a.md").to_dict()
    assert (d["examples"], d["total_tokens"]) == (1, n(doc))


def test_byte_range_shards_equal_whole_file(tmp_path, monkeypatch):
    import estimator.tokens.count as count_mod
    import estimator.tokens.files as files_mod

    records = [chat(i) for i in range(3000)] + [{"messages": "bad"}] + [chat(i) for i in range(500)]
    path = write_jsonl(tmp_path / "big.jsonl", records)
    whole = profile_dict(count_tokens(path, workers=1))
    monkeypatch.setattr(count_mod, "MIN_SHARD_BYTES", 10_000)
    monkeypatch.setattr(count_mod, "SINGLE_PROCESS_BYTES", 0)
    monkeypatch.setattr(files_mod, "SHARD_BYTES", 50_000)
    sharded = profile_dict(count_tokens(path, workers=2))
    assert sharded == whole
    assert whole["findings"][0] == (3001, "missing_messages_list")

    doc = "".join(f"Line {i} of a long document.\n  indented {i}\n\n" for i in range(20000))
    (tmp_path / "doc.txt").write_text(doc)
    one, two = count_tokens(tmp_path / "doc.txt", workers=1), count_tokens(tmp_path / "doc.txt", workers=2)
    assert one.total_tokens == two.total_tokens == n(doc)
    assert one.examples == two.examples == -(-len(doc.encode()) // 50_000)  # one example per 50 kB piece


def test_directory_and_glob(tmp_path):
    sub = tmp_path / "data" / "sub"
    sub.mkdir(parents=True)
    write_jsonl(tmp_path / "data" / "a.jsonl", [chat(1)])
    write_jsonl(sub / "b.jsonl", [chat(2)])
    (sub / "notes.bin").write_bytes(b"\x00\x01")  # unknown extension: ignored in a directory
    assert count_tokens(tmp_path / "data").examples == 2
    assert count_tokens(str(tmp_path / "data" / "**" / "*.jsonl")).examples == 2


def test_merge_is_the_reduce_of_shards(tmp_path):
    a = count_tokens(write_jsonl(tmp_path / "a.jsonl", [chat(i) for i in range(10)]), seq_len=64)
    b = count_tokens(write_jsonl(tmp_path / "b.jsonl", [chat(i) for i in range(10, 30)]), seq_len=64)
    both = count_tokens([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], seq_len=64)
    merged = a.merge(b)
    assert profile_dict(merged) == profile_dict(both)
    ct = both.to_dict()["computed_tokens"]
    assert ct["padded_tokens"] == 30 * 64
    assert ct["packed_tokens"] == -(-both.total_tokens // 64) * 64
