"""estimator serve: KV cache (Kwon et al. 2023), throughput vs TensorRT-LLM's published H100 figures, traffic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import estimator
from estimator.cli import cli
from estimator.rules.serving import kv_cache_bytes_per_token

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_kv_cache_of_llama_31_8b_at_8192_tokens_is_1_07_gb():
    """2 (K, V) · 32 layers · 8 KV heads · 128 head dim · 2 bytes (bf16) · 8,192 tokens = 1,073,741,824 bytes."""
    assert kv_cache_bytes_per_token(32, 8 * 128, 2) * 8192 == 1_073_741_824
    out = run("serve", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--input-tokens", "4096", "--output-tokens",
              "4096", "--provider", "lambda", "--format", "json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["kv_cache_gb_per_sequence"] == pytest.approx(1.073741824, rel=1e-9)
    for key in ("output_tokens_per_second", "gpus", "usd_per_million_tokens"):
        assert data[key] > 0, key


# NVIDIA TensorRT-LLM perf overview (docs/source/performance/perf-overview.md @00f37686), H100 SXM, FP8, total output
# tokens/s at the short / medium / long settings: Llama 3.1 8B TP1, Llama 3.3 70B TP2.
@pytest.mark.parametrize("model, tp, isl, osl, published", [
    ("llama-3.1-8b", 1, 128, 128, 28_312), ("llama-3.1-8b", 1, 1000, 1000, 15_220),
    ("llama-3.1-8b", 1, 2048, 2048, 9_305),
    ("llama-3.1-70b", 2, 128, 128, 6_378), ("llama-3.1-70b", 2, 1000, 1000, 4_205),
    ("llama-3.1-70b", 2, 2048, 2048, 3_082),
])
def test_serving_throughput_within_30_percent_of_tensorrt_llm(model, tp, isl, osl, published):
    s = estimator.serve(model, gpu="h100-sxm", input_tokens=isl, output_tokens=osl, overrides={"dtype": "fp8"})
    assert s.gpus_per_replica == tp
    assert s.replica_output_tokens_per_second == pytest.approx(published, rel=0.30)


# vLLM v0.6.0 blog (blog.vllm.ai/2024/09/05/perf-update.html, figure overall_throughput.png): Llama 3 8B on 1 H100 and
# 70B on 4 H100, BF16, 500 prompts at once. requests/s read off the vLLM bars × the sonnet datasets' output tokens
# (decode-heavy: ~462 in / 256 out; prefill-heavy: ~462 in / 16 out). Checked, not fitted (issue 11: within 30%).
@pytest.mark.parametrize("model, tp, isl, osl, requests_per_second", [
    ("llama-3.1-8b", 1, 462, 256, 31.06), ("llama-3.1-8b", 1, 462, 16, 59.1),
    ("llama-3.1-70b", 4, 462, 256, 15.38), ("llama-3.1-70b", 4, 462, 16, 25.26),
])
def test_serving_throughput_within_30_percent_of_vllm(model, tp, isl, osl, requests_per_second):
    s = estimator.serve(model, gpu="h100-sxm", input_tokens=isl, output_tokens=osl, overrides={"dtype": "bf16"})
    assert s.gpus_per_replica == tp
    assert s.replica_output_tokens_per_second == pytest.approx(requests_per_second * osl, rel=0.30)


def test_vllm_checks_in_the_validation_data_are_the_ones_tested():
    """The doc's vLLM rows come from the same figures as the test above (8B decode-heavy: 31.06 req/s × 256 = 7,951)."""
    from estimator.planning.serving_validation import check_rows

    rows = {(r["model"], r["dataset"]): r for r in check_rows()}
    assert rows[("llama-3.1-8b", "decode-heavy")]["published"] == pytest.approx(31.06 * 256)
    assert rows[("llama-3.1-70b", "decode-heavy")]["published"] == pytest.approx(15.38 * 256)
    checked = [r for r in rows.values() if r["check"]]
    assert len(checked) == 4 and all(abs(r["ratio"] - 1) <= 0.30 for r in checked)
    assert all(r["published_tp"] == r["estimated_tp"] for r in rows.values())


def test_validation_doc_is_current():
    from estimator.planning.serving_validation import render_markdown

    doc = (ROOT / "docs" / "validation-serving.md").read_text(encoding="utf-8")
    assert doc == render_markdown(), "stale: run python -m estimator.planning.serving_validation"


def test_traffic_sets_the_gpu_count_and_monthly_cost():
    one = estimator.serve("llama-3.1-8b", gpu="h100-sxm", provider="lambda", input_tokens=1000, output_tokens=500)
    need = 1e7 * 500 / 86400 / one.replica_output_tokens_per_second
    s = estimator.serve("llama-3.1-8b", gpu="h100-sxm", provider="lambda", input_tokens=1000, output_tokens=500,
                        requests_per_day="10M", months=12)
    assert s.gpus == pytest.approx(-(-need // 1) * one.gpus_per_replica)
    assert s.monthly_serving_usd == pytest.approx(s.gpus * 2.99 * 730.5)
    assert s.serving_cost_usd == pytest.approx(12 * s.monthly_serving_usd)
    assert s.usd_per_million_tokens == pytest.approx(2.99 / (one.replica_output_tokens_per_second * 3600) * 1e6)


def test_fp8_halves_weights_and_kv():
    a = estimator.serve("llama-3.1-8b", gpu="h100-sxm", input_tokens=1000, output_tokens=1000)
    b = estimator.serve("llama-3.1-8b", gpu="h100-sxm", input_tokens=1000, output_tokens=1000,
                        overrides={"dtype": "fp8"})
    assert b.kv_cache_gb_per_sequence == pytest.approx(a.kv_cache_gb_per_sequence / 2)
    assert b.output_tokens_per_second > a.output_tokens_per_second


@pytest.mark.parametrize("args, text", [
    (["--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--requests-per-day", "1e13", "--output-tokens", "1000"],
     "beyond any serving setup"),
    (["--model", "llama-3.1-405b", "--gpu", "l4"], "no serving setup"),
    (["--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "1", "--requests-per-day", "1e9"], "exceeds what 1"),
    (["--model", "gpt-4o-mini"], "no public weights"),
])
def test_bad_serving_input_is_one_line(args, text):
    out = run("serve", *args)
    assert out.exit_code != 0
    lines = [x for x in out.output.splitlines() if x.strip()]
    assert len(lines) == 1 and text in lines[0] and "Traceback" not in out.output


def test_breakeven_traffic_against_a_hosted_service():
    """One replica at $2,184/month vs $0.0004 per request hosted (1,000 + 1,000 tokens at $0.20/1M) with no fixed fee:
    2,184 / (30.4375 × 0.0004) = 179,384 requests/day, within one replica's 500,000/day. Beyond capacity a second
    replica is needed; if hosting per request is cheaper than a full replica, self-hosting never wins."""
    from estimator.rules.serving import breakeven_requests_per_day

    assert breakeven_requests_per_day(2184.0, 500_000.0, 0.0, 0.0004) == pytest.approx(2184 / (30.4375 * 0.0004))
    # capacity 100k/day: one replica would need 179k: two replicas (4,368) at 358,768/day exceed 200k capacity...
    r = breakeven_requests_per_day(2184.0, 100_000.0, 0.0, 0.0004)
    assert r == float("inf")  # hosted costs 0.0004 × 30.44 × 100k = $1,217 per replica-load < $2,184
    assert breakeven_requests_per_day(2184.0, 100_000.0, 0.0, 0.001) == pytest.approx(2184 / (30.4375 * 0.001))


def test_compare_names_the_self_hosting_break_even():
    c = estimator.compare(model="llama-3.1-8b", tokens="20M", provider="lambda", uncertainty=False)
    assert any(n.startswith("self-hosting llama-3.1-8b on 1 × h100-sxm") and "fireworks/llama-3.1-8b" in n
               for n in c.notes)
