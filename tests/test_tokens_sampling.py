"""--sample: the 95% interval of the estimate covers the exact count on a corpus where both are computed."""

import json
import random

import pytest

from estimator.tokens import count_tokens
from estimator.tokens.sampling import ratio_estimate


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = random.Random(42)
    words = "the of and to in is that for it as with was on be by this are from at or an".split()
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    with open(path, "w") as f:
        for i in range(12000):
            answer = " ".join(rng.choice(words) for _ in range(rng.randint(5, 120)))
            f.write(json.dumps({"messages": [{"role": "system", "content": "You answer."},
                                             {"role": "user", "content": f"Question {i}?"},
                                             {"role": "assistant", "content": answer}]}) + "\n")
    return path


def test_sample_ci_covers_exact_count(corpus):
    exact = count_tokens(corpus, example_cap=200, workers=1).to_dict()
    est = count_tokens(corpus, example_cap=200, sample=0.2, seed=0).to_dict()
    assert est["sampled"] is True
    s = est["sample"]
    assert s["blocks_sampled"] < s["blocks_total"]
    for name in ("total_tokens", "examples", "trainable_tokens", "billed_tokens_per_epoch"):
        e = s["estimates"][name]
        assert e["ci95_low"] <= exact[name] <= e["ci95_high"], (name, exact[name], e)
        assert abs(e["estimate"] - exact[name]) / exact[name] < 0.05
    assert est["total_tokens"] == round(s["estimates"]["total_tokens"]["estimate"])


def test_interval_covers_in_most_seeds(corpus):
    exact = count_tokens(corpus, workers=1).total_tokens
    covered = 0
    for seed in range(20):
        e = count_tokens(corpus, sample_bytes=300_000, seed=seed, workers=1).to_dict()["sample"]["estimates"]
        covered += e["total_tokens"]["ci95_low"] <= exact <= e["total_tokens"]["ci95_high"]
    assert covered >= 17  # ~95% nominal


def test_full_sample_is_exact(corpus):
    exact = count_tokens(corpus, workers=1).total_tokens
    e = count_tokens(corpus, sample=1.0).to_dict()["sample"]["estimates"]["total_tokens"]
    assert e["estimate"] == e["ci95_low"] == e["ci95_high"] == exact


def test_ratio_estimate_by_hand():
    # three of four equal blocks, y = 10, 12, 14 per 100 bytes -> R = 0.12, X = 400 -> 48
    e = ratio_estimate([100, 100, 100], [10, 12, 14], 400, 4)
    assert e["estimate"] == pytest.approx(48)
    # s_e^2 = (4 + 0 + 4) / 2 = 4; Var = 16 * (1 - 3/4) / 3 * 4 = 5.333; t(2) = 4.303
    assert e["ci95_high"] - 48 == pytest.approx(4.303 * 5.333333 ** 0.5, rel=1e-4)


def test_sampling_plain_text(tmp_path):
    doc = "".join(f"Paragraph {i} about tokens and costs.\n" for i in range(60000))
    (tmp_path / "t.txt").write_text(doc)
    exact = count_tokens(tmp_path / "t.txt").total_tokens
    e = count_tokens(tmp_path / "t.txt", sample=0.3).to_dict()["sample"]["estimates"]["total_tokens"]
    assert e["ci95_low"] <= exact <= e["ci95_high"]
