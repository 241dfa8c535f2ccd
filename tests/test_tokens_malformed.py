"""Every malformed line is found: a file's record format is decided once, a line that breaks it is a finding
with its line number and is not counted; damaged files fail with one line naming the file."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from estimator.errors import DatasetError
from estimator.tokens import count_tokens, get_encoding

ENC = get_encoding("cl100k_base")


def n(text):
    return len(ENC.encode_ordinary(text))


def chat(i):
    return {"messages": [{"role": "system", "content": "You are terse."},
                         {"role": "user", "content": f"What is {i} plus {i}?"},
                         {"role": "assistant", "content": f"{2 * i}, since {i} + {i} = {2 * i}."}]}


def cookbook_tokens(record):
    """OpenAI cookbook num_tokens_from_messages, written out independently of the counter."""
    return sum(3 + sum(n(v) for v in m.values()) for m in record["messages"]) + 3


BROKEN = {  # line number -> (raw line, the finding kind it must raise)
    3: ('{"messages": [{"role": "user", "content": "unterminated"}', "invalid_json"),
    6: (json.dumps({"text": "no messages key"}), "missing_messages_list"),
    9: (json.dumps({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                                 {"role": "wizard", "content": "abracadabra"},
                                 {"role": "assistant", "content": "a"}]}), "unrecognized_role"),
    12: (json.dumps({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": ""},
                                  {"role": "assistant", "content": "a"}]}), "missing_content"),
    15: ("[1, 2, 3]", "data_type"),
}


def planted_chat(path, good=20):
    """A chat file with the five kinds of broken line at known line numbers; returns the good records."""
    lines, records, i = [], [], 0
    while len(records) < good or len(lines) < max(BROKEN):
        lineno = len(lines) + 1
        if lineno in BROKEN:
            lines.append(BROKEN[lineno][0])
        else:
            records.append(chat(i))
            lines.append(json.dumps(records[-1]))
            i += 1
    path.write_text("\n".join(lines) + "\n")
    return records


def test_planted_chat_file_five_findings_and_reference_count(tmp_path):
    good = planted_chat(tmp_path / "planted.jsonl")
    d = count_tokens(tmp_path / "planted.jsonl", example_cap=65536).to_dict()
    assert [(f["line"], f["kind"]) for f in d["findings"]] == [(k, v[1]) for k, v in sorted(BROKEN.items())]
    assert d["skipped_lines"] == 5 and d["examples"] == len(good)
    reference = sum(min(65536, cookbook_tokens(r)) for r in good)
    assert d["billed_tokens_per_epoch"] == reference
    assert d["billed_tokens"] == reference * d["default_epochs"]


def test_planted_findings_do_not_depend_on_sharding(tmp_path, monkeypatch):
    import estimator.tokens.count as count_mod

    good = planted_chat(tmp_path / "planted.jsonl", good=3000)
    whole = count_tokens(tmp_path / "planted.jsonl", workers=1).to_dict()
    monkeypatch.setattr(count_mod, "MIN_SHARD_BYTES", 4096)
    monkeypatch.setattr(count_mod, "SINGLE_PROCESS_BYTES", 0)
    sharded = count_tokens(tmp_path / "planted.jsonl", workers=2).to_dict()
    for key in ("examples", "total_tokens", "billed_tokens_per_epoch", "skipped_lines", "findings", "finding_counts"):
        assert sharded[key] == whole[key], key
    assert whole["examples"] == len(good)


def test_format_is_decided_by_the_first_records_not_by_each_line(tmp_path):
    """A text line in a chat file is skipped with a finding, and a chat line in a text file too."""
    path = tmp_path / "t.jsonl"
    texts = [{"text": f"document {i}"} for i in range(6)]
    path.write_text("".join(json.dumps(r) + "\n" for r in texts[:3]) + json.dumps(chat(1)) + "\n"
                    + "".join(json.dumps(r) + "\n" for r in texts[3:]))
    d = count_tokens(path).to_dict()
    assert d["total_tokens"] == sum(n(r["text"]) for r in texts)
    assert [(f["line"], f["kind"]) for f in d["findings"]] == [(4, "format_mismatch")]


def test_a_nul_line_among_chat_lines_is_one_finding(tmp_path):
    path = tmp_path / "nul.jsonl"
    records = [chat(i) for i in range(10)]
    lines = [json.dumps(r) for r in records]
    lines.insert(4, "\x00\x00\x00garbage\x00")
    path.write_text("\n".join(lines) + "\n")
    d = count_tokens(path).to_dict()
    assert d["examples"] == 10 and d["total_tokens"] == sum(cookbook_tokens(r) for r in records)
    assert [(f["line"], f["kind"]) for f in d["findings"]] == [(5, "binary")]


def test_a_truly_binary_file_still_fails_in_one_line(tmp_path):
    (tmp_path / "b.jsonl").write_bytes(os.urandom(4096).replace(b"\n", b"\x00") + b"\x00" * 4096)
    with pytest.raises(DatasetError, match="binary") as e:
        count_tokens(tmp_path / "b.jsonl")
    assert "\n" not in str(e.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_a_directory_is_skipped_with_a_finding(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.jsonl").write_text(json.dumps(chat(1)) + "\n")
    os.mkfifo(tmp_path / "d" / "pipe.jsonl")
    d = count_tokens(tmp_path / "d").to_dict()  # must not block
    assert d["examples"] == 1
    assert [(f["file"].rsplit("/", 1)[-1], f["kind"]) for f in d["findings"]] == [("pipe.jsonl", "not_regular_file")]


def test_truncated_gzip_is_one_line_naming_the_file(tmp_path):
    data = gzip.compress(("".join(json.dumps(chat(i)) + "\n" for i in range(3000))).encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError) as e:
        count_tokens(tmp_path / "cut.jsonl.gz")
    msg = str(e.value)
    assert "cut.jsonl.gz" in msg and "gzip" in msg and "\n" not in msg


def test_corrupt_zstd_is_one_line_naming_the_file(tmp_path):
    zstandard = pytest.importorskip("zstandard")
    data = bytearray(zstandard.ZstdCompressor().compress(("".join(json.dumps(chat(i)) + "\n" for i in range(3000))).encode()))
    for k in range(200, len(data) - 8, 97):
        data[k] ^= 0x5A
    (tmp_path / "bad.jsonl.zst").write_bytes(bytes(data))
    with pytest.raises(DatasetError) as e:
        count_tokens(tmp_path / "bad.jsonl.zst")
    msg = str(e.value)
    assert "bad.jsonl.zst" in msg and "zstd" in msg and "\n" not in msg


def test_ctrl_c_stops_the_pool_without_worker_tracebacks(tmp_path):
    """SIGINT to a count running on a 2-process pool: the workers ignore it, the parent stops them."""
    path = tmp_path / "big.txt"
    with open(path, "w") as f:
        for i in range(800_000):
            f.write(f"Line {i} of a document that takes a while to count, with words and numbers {i * 7}.\n")
    code = ("from estimator.tokens import count_tokens\n"
            "print('ready', flush=True)\n"
            f"try:\n    count_tokens({str(path)!r}, workers=2)\n"
            "except KeyboardInterrupt:\n    print('interrupted', flush=True)\n")
    # the child gets the default SIGINT disposition even if something in this pytest process left it ignored
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout.readline().strip() == "ready"  # imports done: the interrupt lands inside the count
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "interrupted" in out, (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
