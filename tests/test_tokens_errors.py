"""Bad input: one-line DatasetError naming file (and line), or a finding; never a traceback."""

import json
import tracemalloc

import pytest
from click.testing import CliRunner

from estimator.cli.count import count
from estimator.errors import DatasetError, EstimatorError
from estimator.tokens import count_tokens

GOOD = json.dumps({"messages": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]})


def one_line_error(exc_info):
    msg = str(exc_info.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


def test_empty_file(tmp_path):
    (tmp_path / "e.jsonl").write_text("")
    with pytest.raises(DatasetError) as e:
        count_tokens(tmp_path / "e.jsonl")
    assert "e.jsonl" in one_line_error(e) and "empty" in str(e.value)


def test_binary_file(tmp_path):
    (tmp_path / "b.jsonl").write_bytes(bytes(range(256)) * 10)
    with pytest.raises(DatasetError) as e:
        count_tokens(tmp_path / "b.jsonl")
    assert "binary" in one_line_error(e)


def test_wrong_encoding_names_file_and_line(tmp_path):
    latin1 = (GOOD + "\n" + '{"text": "caf\u00e9"}' + "\n").encode("latin-1")
    (tmp_path / "l.jsonl").write_bytes(latin1)
    p = count_tokens(tmp_path / "l.jsonl")
    assert p.examples == 1
    f = p.to_dict()["findings"][0]
    assert (f["line"], f["kind"]) == (2, "encoding")
    with pytest.raises(DatasetError) as e:
        count_tokens(tmp_path / "l.jsonl", strict=True)
    assert "l.jsonl:2:" in one_line_error(e)
    (tmp_path / "u16.txt").write_text("hello", encoding="utf-16")
    with pytest.raises(DatasetError, match="UTF-16"):
        count_tokens(tmp_path / "u16.txt")


def test_directory_without_dataset_files(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "image.png").write_bytes(b"\x89PNG")
    with pytest.raises(DatasetError) as e:
        count_tokens(tmp_path / "d")
    assert "no dataset files" in one_line_error(e)


def test_missing_path_and_unmatched_glob(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        count_tokens(tmp_path / "nope.jsonl")
    with pytest.raises(DatasetError, match="no file matches"):
        count_tokens(str(tmp_path / "*.jsonl"))


def test_missing_column(tmp_path):
    (tmp_path / "d.csv").write_text("id,body\n1,hello\n")
    with pytest.raises(DatasetError) as e:
        count_tokens(tmp_path / "d.csv", column="text")
    assert "no column 'text'" in one_line_error(e) and "id, body" in str(e.value)


def test_non_object_and_broken_lines_are_findings_unless_strict(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join([GOOD, "[1, 2]", "{broken", GOOD, '"a string"']) + "\n")
    p = count_tokens(path)
    assert p.examples == 2
    assert [(f.line, f.kind) for f in p.findings.items] == [(2, "data_type"), (3, "invalid_json"), (5, "data_type")]
    with pytest.raises(DatasetError) as e:
        count_tokens(path, strict=True)
    assert one_line_error(e).startswith(f"{path}:2:")


def test_cookbook_format_checks(tmp_path):
    recs = [
        {"messages": [{"role": "user", "content": "hi"}]},                                 # no assistant
        {"messages": [{"role": "user"}, {"role": "assistant", "content": "x"}]},           # missing content
        {"messages": [{"role": "robot", "content": "hi"}, {"role": "assistant", "content": "x", "mood": 1}]},
        {"prompt_only": "x"},
    ]
    (tmp_path / "c.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs) + GOOD + "\n")
    p = count_tokens(tmp_path / "c.jsonl")
    assert (p.examples, p.skipped_lines) == (2, 3)  # format errors are not counted; a missing assistant is
    kinds = {(f.line, f.kind) for f in p.findings.items}
    assert {(1, "example_missing_assistant_message"), (2, "message_missing_key"), (3, "unrecognized_role"),
            (3, "message_unrecognized_key"), (4, "missing_messages_list")} <= kinds


def test_huge_single_line_is_skipped_with_flat_memory(tmp_path, monkeypatch):
    """A line over MAX_LINE_BYTES is never held whole: memory stays near the cap, a finding names the line."""
    import estimator.tokens.json_lines as json_lines

    monkeypatch.setattr(json_lines, "MAX_LINE_BYTES", 1 << 20)
    path = tmp_path / "huge.jsonl"
    with open(path, "w") as f:
        f.write(GOOD + "\n")
        f.write('{"text": "' + "a" * (64 << 20) + '"}\n')  # 64 MiB line, 64x the cap
        f.write(GOOD + "\n")
    tracemalloc.start()
    p = count_tokens(path, workers=1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert p.examples == 2
    assert [(f.line, f.kind) for f in p.findings.items] == [(2, "line_too_long")]
    assert peak < 16 << 20


def test_bad_arguments_are_estimator_errors(tmp_path):
    (tmp_path / "a.jsonl").write_text(GOOD + "\n")
    with pytest.raises(EstimatorError, match="unknown encoding"):
        count_tokens(tmp_path / "a.jsonl", encoding="nope")
    with pytest.raises(EstimatorError, match="sample"):
        count_tokens(tmp_path / "a.jsonl", sample=2)


def test_cli_error_is_one_line_without_traceback(tmp_path):
    (tmp_path / "e.jsonl").write_text("")
    result = CliRunner().invoke(count, [str(tmp_path / "e.jsonl")])
    assert result.exit_code != 0
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert "Traceback" not in result.output
