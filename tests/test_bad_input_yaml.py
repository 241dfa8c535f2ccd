"""Hostile and malformed YAML (catalog and scenario files): one line naming file:line and the reason, never a
hang, a traceback or a silently accepted entry. Issue 13: billion laughs, FIFOs, /dev/zero, deep nesting,
unsafe tags, booleans as numbers, unknown keys at the key's line."""

import os
import threading

import pytest
from cli_helpers import one_line, run
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.catalog import yamlio
from estimator.catalog.loader import load_catalog, validate_file
from estimator.errors import CatalogError

PRICE = "{provider: x, gpu: h100-sxm, tier: on_demand, usd_per_gpu_hour: %s, source: vendor page, as_of: 2025-01}"
SCENARIO_HEAD = "defaults: {method: lora, model: llama-3.1-8b, tokens: 1M}\n"




def laughs(levels=9, width=9):
    """The classic entity-expansion bomb: each level aliases the previous one `width` times (9**9 leaves)."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefghij", "bcdefghijk"[: levels - 1]):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * width) + "]")
    return "\n".join(lines) + "\n"


# ---- every way in: catalog validate, --catalog, scenario file -------------------------------------------------
def entry_points(path):
    return {
        "catalog validate": ["catalog", "validate", path],
        "--catalog": ["catalog", "models", "--catalog", path],
        "scenario file": ["compare", path],
    }


@pytest.mark.parametrize("how", ["catalog validate", "--catalog", "scenario file"])
@pytest.mark.parametrize("body, needles", [
    (laughs(), ["values once aliases", "200,000"]),
    ("models: " + "[" * 5000 + "]" * 5000 + "\n", ["nested deeper than 64 levels"]),
    ("a: " + "{b: " * 200 + "1" + "}" * 200 + "\n", ["nested deeper than 64 levels"]),
    ("gpu_prices:\n  - !!python/object:os.system " + PRICE % 1 + "\n", [":2:", "tag '!!python/object:os.system'"]),
    ("gpu_prices:\n  - !!python/object/apply:os.system ['true']\n", [":2:", "!!python/object/apply"]),
    ("x: !custom 3\n", [":1:", "tag '!custom' is not allowed"]),
    ("x: !!binary aGVsbG8=\n", [":1:", "!!binary"]),
    ("base: &b {a: 1}\nother:\n  <<: *b\n", [":3:", "merge keys (<<) are not supported"]),
    ("models:\n  - {id: a\n", [":3:", "invalid YAML"]),
    ("a: 1\na: 2\n", [":2:", "duplicate key 'a'"]),
    ("? [a, b]\n: 1\n", [":1:", "a mapping key must be a scalar"]),
])
def test_hostile_yaml_is_one_line_naming_the_file(tmp_path, how, body, needles):
    f = tmp_path / "hostile.yaml"
    f.write_text(body)
    r = run(*entry_points(f)[how])
    one_line(r, str(f), *needles)


def test_billion_laughs_stops_fast_and_small(tmp_path):
    """9**9 = 387 M leaves: refused after MAX_VALUES values, well under a second and without the 7 GB."""
    import resource
    import time

    f = tmp_path / "bomb.yaml"
    f.write_text(laughs())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(CatalogError, match="once aliases"):
        yamlio.load_yaml(f)
    assert time.perf_counter() - start < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 300_000  # KiB


def test_a_few_aliases_still_work(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("energy:\n  - &r {id: region-a, electricity_usd_per_kwh: 0.1, grid_kgco2_per_kwh: 0.3, pue: 1.2, "
                 "source: utility tariff, as_of: 2025-01}\n")
    assert validate_file(f) == []


@pytest.mark.parametrize("how", ["catalog validate", "--catalog", "scenario file"])
def test_oversized_file_is_refused_before_parsing(tmp_path, how, monkeypatch):
    monkeypatch.setattr(yamlio, "MAX_BYTES", 1000)
    f = tmp_path / "big.yaml"
    f.write_text("models:\n" + "  - {id: m, name: M}\n" * 100)
    one_line(run(*entry_points(f)[how]), str(f), "over the 1000 bytes limit for YAML files")


def test_size_cap_is_documented_in_message_at_default(tmp_path):
    f = tmp_path / "big.yaml"
    f.write_bytes(b"# pad\n" * (yamlio.MAX_BYTES // 6 + 10))
    one_line(run("compare", f), "over the 8 MiB limit for YAML files")


# ---- special files: refused from stat, before open -----------------------------------------------------------
@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


def _no_hang(argv, timeout=20):
    """Run in a thread so a regression (a blocking open) fails the test instead of hanging the suite."""
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", run(*argv)), daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():  # unblock the reader so the thread can end, then fail
        pytest.fail(f"{argv} blocked for {timeout} s")
    return out["r"]


@pytest.mark.parametrize("how", ["catalog validate", "--catalog", "scenario file"])
def test_fifo_is_refused_without_blocking(fifo, how):
    one_line(_no_hang(entry_points(fifo)[how]), str(fifo), "named pipe (FIFO)", "not a regular file")


@pytest.mark.parametrize("how", ["catalog validate", "--catalog", "scenario file"])
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_character_devices_are_refused(how, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    one_line(_no_hang(entry_points(device)[how]), device, "character device")


@pytest.mark.parametrize("how", ["catalog validate", "--catalog", "scenario file"])
def test_directory_missing_binary_and_non_utf8(tmp_path, how):
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"models:\x00\x01\x02")
    latin = tmp_path / "l.yaml"
    latin.write_bytes("models: [caf\xe9]".encode("latin-1"))
    for path, needle in ((tmp_path, "is a directory"), (tmp_path / "nope.yaml", "file not found"),
                         (binary, "binary content"), (latin, "not UTF-8")):
        r = run(*entry_points(path)[how])
        if how != "catalog validate" and path == tmp_path:  # click refuses a directory for these options
            assert r.exit_code != 0 and "Traceback" not in r.output
            continue
        one_line(r, str(path), needle)


@pytest.mark.parametrize("how", ["catalog validate", "--catalog", "scenario file"])
def test_socket_and_symlink_to_a_device_are_refused(tmp_path, how):
    import socket

    sock_path = tmp_path / "s.yaml"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    try:
        one_line(_no_hang(entry_points(sock_path)[how]), str(sock_path), "is a socket")
    finally:
        server.close()
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    one_line(_no_hang(entry_points(link)[how]), str(link), "character device")


def test_several_documents_and_an_empty_file(tmp_path):
    multi = tmp_path / "m.yaml"
    multi.write_text("models: []\n---\nhardware: []\n")
    one_line(run("catalog", "validate", multi), f"{multi}:2: invalid YAML")
    empty = tmp_path / "e.yaml"
    empty.write_text("")
    one_line(run("catalog", "validate", empty), f"{empty}:1: empty file")
    one_line(run("compare", empty), f"{empty}:1: expected a mapping")


def test_an_enormous_value_is_shown_shortened(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("models:\n  - {id: m, name: M, params: " + "9" * 1000 + ", source: s s, as_of: 2025-01}\n")
    (problem,) = validate_file(f)
    assert problem.startswith(f"{f}:2: models 'm', field 'params'") and problem.endswith("...)") and len(problem) < 300


@pytest.mark.parametrize("how", ["catalog validate", "--catalog", "scenario file"])
@pytest.mark.parametrize("value, needle", [("9" * 5000, "Exceeds the limit (4300 digits)"),
                                           ("2025-13-45", "month must be in 1..12")])
def test_scalars_python_cannot_build_are_one_line(tmp_path, how, value, needle):
    """Before: ValueError from the YAML constructor (an internal error or a traceback)."""
    f = tmp_path / "c.yaml"
    f.write_text(f"models:\n  - id: m\n    params: {value}\n")
    one_line(run(*entry_points(f)[how]), f"{f}:3: cannot read the value", needle)


def test_fifo_swapped_in_after_stat_does_not_block(tmp_path, monkeypatch):
    """O_NONBLOCK guards the window between the stat and the open."""
    from estimator import safe_io

    regular = tmp_path / "r.yaml"
    regular.write_text("a: 1\n")
    pipe = tmp_path / "p.yaml"
    os.mkfifo(pipe)
    real_stat = os.stat
    monkeypatch.setattr(safe_io.os, "stat", lambda p, *a, **k: real_stat(regular if str(p) == str(pipe) else p))
    with pytest.raises(CatalogError, match="not a regular file"):
        yamlio.read_text(pipe)


# ---- booleans are not numbers (catalog schema) ----------------------------------------------------------------
@pytest.mark.parametrize("body, field", [
    ("gpu_prices:\n  - " + PRICE % "true" + "\n", "usd_per_gpu_hour"),
    ("gpu_prices:\n  - " + PRICE % "yes" + "\n", "usd_per_gpu_hour"),
    ("hardware:\n  - {id: g, name: G, vendor: v, generation: x, memory_gb: on, peak_tflops: {bf16: 9}, source: s s, "
     "as_of: 2025-01}\n", "memory_gb"),
    ("hardware:\n  - {id: g, name: G, vendor: v, generation: x, memory_gb: 80, peak_tflops: {bf16: true}, "
     "source: s s, as_of: 2025-01}\n", "peak_tflops"),
    ("models:\n  - {id: m, name: M, params: true, source: s s, as_of: 2025-01}\n", "params"),
    ("models:\n  - {id: m, name: M, params: 7.0e9, layers: true, source: s s, as_of: 2025-01}\n", "layers"),
    ("apis:\n  - {model: llama-3.1-8b, provider: p, training_usd_per_1m_tokens: true, source: s s, as_of: 2025-01}\n",
     "training_usd_per_1m_tokens"),
    ("energy:\n  - {id: r, pue: true, source: s s, as_of: 2025-01}\n", "pue"),
    ("assumptions:\n  mfu_base:\n    unit: fraction\n    description: d\n    bounds: [0.01, 1.0]\n    rules:\n"
     "      - {value: true, source: s s}\n", "rules.0.value"),
    ("assumptions:\n  mfu_base:\n    unit: fraction\n    description: d\n    bounds: [0.01, 1.0]\n    rules:\n"
     "      - {value: 0.4, range: [true, 0.5], source: s s}\n", "rules.0.range"),
])
def test_booleans_where_numbers_belong_are_rejected(tmp_path, body, field):
    f = tmp_path / "c.yaml"
    f.write_text(body)
    problems = validate_file(f)
    assert any(f"field '{field}'" in p and "got a boolean" in p for p in problems), problems
    one_line(run("catalog", "prices", "--catalog", f), "got a boolean")


def test_booleans_stay_valid_where_the_schema_wants_them(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("models:\n  - {id: m, name: M, params: 7.0e9, tied_embeddings: true, source: s s, as_of: 2025-01}\n"
                 "energy:\n  - {id: r, default: false, pue: 1.2, source: s s, as_of: 2025-01}\n")
    assert validate_file(f) == []


def test_boolean_price_is_not_one_dollar(tmp_path):
    """Before: `usd_per_gpu_hour: true` priced the GPU at $1.00/GPU-h."""
    f = tmp_path / "c.yaml"
    f.write_text("gpu_prices:\n  - " + PRICE % "true" + "\n")
    with pytest.raises(CatalogError, match=r"c.yaml:2: gpu_prices 'x/h100-sxm/on_demand', field 'usd_per_gpu_hour'"):
        load_catalog([f])


def test_unsafe_tag_entry_is_not_used(tmp_path):
    """Before: a !!python/object tag on a price entry was ignored and the entry used."""
    f = tmp_path / "c.yaml"
    f.write_text("gpu_prices:\n  - !!python/object:builtins.dict " + PRICE % 0.01 + "\n")
    with pytest.raises(CatalogError, match=r"c.yaml:2: tag '!!python/object:builtins.dict' is not allowed"):
        load_catalog([f])


# ---- unknown keys are reported at the key's line ----------------------------------------------------------------
def test_catalog_unknown_key_names_the_key_line(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("models:\n  - id: m\n    name: M\n    params: 7.0e9\n    source: s s\n    as_of: 2025-01\n"
                 "    bogus:\n      - 1\n")
    problems = validate_file(f)
    assert problems == [f"{f}:7: models 'm', field 'bogus': Extra inputs are not permitted (got [1])"]


def test_catalog_unknown_table_names_the_key_line(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("modles:\n  - {id: m}\n")
    assert validate_file(f)[0].startswith(f"{f}:1: unknown table 'modles'; did you mean models")


def test_catalog_bad_nested_value_names_its_key_line(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("hardware:\n  - id: g\n    name: G\n    vendor: v\n    generation: x\n    memory_gb: 80\n"
                 "    peak_tflops:\n      fp32: 9\n      bf16: -1\n    source: s s\n    as_of: 2025-01\n")
    assert any(p.startswith(f"{f}:9:") and "peak_tflops.bf16" in p for p in validate_file(f))


@pytest.mark.parametrize("body, line, key", [
    (SCENARIO_HEAD + "scenarioz:\n  - {name: a}\n", 2, "scenarioz"),
    (SCENARIO_HEAD + "scenarios:\n  - name: a\n    gpu: h100-sxm\n    bogus:\n      x: 1\n", 5, "bogus"),
    (SCENARIO_HEAD + "scenarios:\n  - name: a\n    set:\n      mfu: 0.3\n      mfuu: 0.2\n", 6, "mfuu"),
    ("defaults:\n  method: lora\n  model: llama-3.1-8b\n  tokens: 1M\n  gpuu: h100-sxm\nscenarios:\n  - {name: a}\n",
     5, "gpuu"),
    (SCENARIO_HEAD + "grid:\n  mfu: [0.3]\n  bogus_knob:\n    - 1\n", 4, "bogus_knob"),
])
def test_scenario_unknown_key_names_the_key_line(tmp_path, body, line, key):
    f = tmp_path / "s.yaml"
    f.write_text(body)
    one_line(run("compare", f), f"{f}:{line}: unknown key '{key}'")


def test_every_mapping_key_records_its_own_line(tmp_path):
    _, lines = yamlio.load_yaml("x.yaml", "a:\n  b:\n    - 1\n    - c: 2\n      d:\n        e\n")
    assert lines[("a",)] == 1 and lines[("a", "b")] == 2 and lines[("a", "b", 0)] == 3
    assert lines[("a", "b", 1, "c")] == 4 and lines[("a", "b", 1, "d")] == 5


@pytest.mark.parametrize("body", ["a: " + "[" * 5000 + "]" * 5000 + "\n", "- " * 3000 + "x\n", laughs()])
def test_pure_python_parser_has_the_same_limits(monkeypatch, body):
    """Where PyYAML lacks libyaml the pure-Python composer recurses: still one line, no RecursionError."""
    import yaml

    class Pure(yaml.SafeLoader):
        pass

    monkeypatch.setattr(yamlio, "_Loader", Pure)
    with pytest.raises(CatalogError, match=r"x.yaml.*(nested deeper than 64 levels|once aliases)"):
        yamlio.load_yaml("x.yaml", body)


# ---- fuzz: whatever the text, the loader returns data or raises CatalogError (never another exception) ----------
YAML_BITS = ["a", "b:", ": ", "- ", "[", "]", "{", "}", ", ", "&x ", "*x", "!!str ", "!t ", "!!python/name:os ", "<<: ",
             "? ", "|", ">", "'", '"', "#", "\n", "  ", "\t", "1e400", "9" * 30, "2025-13-45", "true", "~", "---\n",
             "...", "%YAML 1.1\n", "\\x00", "\ufeff", "é", "\x85"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(st.sampled_from(YAML_BITS), max_size=40).map("".join)))
def test_any_text_is_data_or_one_catalog_error(text):
    try:
        yamlio.load_yaml("fuzz.yaml", text)
    except CatalogError as exc:
        assert str(exc).startswith("fuzz.yaml") and "\n" not in str(exc).strip(), str(exc)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(YAML_BITS), max_size=40).map("".join))
def test_any_catalog_text_gives_problems_not_exceptions(text):
    from estimator.catalog.reading import read_table_file as _read_table_file

    try:
        _read_table_file("fuzz.yaml", text)
    except CatalogError:
        pass
