"""Hypothesis properties: profile merge is associative, and a count does not depend on shard size."""

import copy
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimator.tokens.count import OrderedReducer, finish, map_shards
from estimator.tokens.encodings import TokenizerSpec
from estimator.tokens.files import expand_paths, plan_shards
from estimator.tokens.findings import Finding
from estimator.tokens.profile import CountSettings, DatasetProfile
from estimator.tokens.shard import Job

SETTINGS = CountSettings(example_cap=50, context=80, seq_len=32)

example = st.tuples(st.integers(0, 200), st.integers(0, 200), st.sampled_from(["user", "assistant", "text"]))
finding = st.tuples(st.sampled_from(["a.jsonl", "b.jsonl"]), st.integers(1, 99),
                    st.sampled_from(["invalid_json", "data_type", "over_context", "missing_content"]))


@st.composite
def profiles(draw):
    p = DatasetProfile(settings=SETTINGS)
    for length, trainable, role in draw(st.lists(example, max_size=30)):
        p.add_example(length, min(trainable, length), {role: length}, messages=1)
    for file, line, kind in draw(st.lists(finding, max_size=30)):
        p.findings.add(Finding(file, line, kind, "m"))
    p.files, p.bytes, p.skipped_lines = draw(st.integers(0, 3)), draw(st.integers(0, 10**6)), draw(st.integers(0, 9))
    p.open_documents.update({(draw(st.sampled_from(["t.txt", "u.txt"])), 0): draw(st.integers(0, 500))})
    return p


def merged(*ps):
    out = copy.deepcopy(ps[0])
    for p in ps[1:]:
        out.merge(copy.deepcopy(p))
    return out.to_dict()


@given(profiles(), profiles(), profiles())
@settings(max_examples=150, deadline=None)
def test_merge_is_associative(a, b, c):
    left = copy.deepcopy(a).merge(copy.deepcopy(b)).merge(copy.deepcopy(c))
    right = copy.deepcopy(a).merge(copy.deepcopy(b).merge(copy.deepcopy(c)))
    assert left.to_dict() == right.to_dict()
    assert left.open_documents == right.open_documents


record = st.one_of(
    st.builds(lambda u, a: json.dumps({"messages": [{"role": "user", "content": u}, {"role": "assistant", "content": a}]}),
              st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=200)),
    st.sampled_from(["{broken", "[1, 2]", json.dumps({"text": "stray text line"}), "\x00\x00",
                     json.dumps({"messages": [{"role": "user", "content": ""}]})]),
)
text_line = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)


def count(paths, shard_bytes):
    job = Job(settings=CountSettings(example_cap=64), tokenizer=TokenizerSpec())
    files = expand_paths(paths)
    shards = plan_shards(files, None, shard_bytes)
    reducer = OrderedReducer(shards, job.settings)
    map_shards(shards, job, 1, False, reducer.add)
    d = finish(reducer.result(), files, False).to_dict()
    d.pop("bytes")
    return d, len(shards)


@given(st.lists(record, min_size=1, max_size=150), st.lists(text_line, max_size=300), st.integers(64, 4096))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_count_does_not_depend_on_shard_size(records, text, shard_bytes):
    good = json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "c.jsonl").write_text("\n".join([good, *records]) + "\n", encoding="utf-8")
        (root / "d.txt").write_text("\n".join(["Start", *text]) + "\n", encoding="utf-8")
        whole, n_whole = count(root, 10**9)
        split, n_split = count(root, shard_bytes)
    assert n_whole == 2
    assert split == whole
