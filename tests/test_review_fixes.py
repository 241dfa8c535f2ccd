"""Regressions for the code review's findings (each was reproduced before the fix)."""

import json

import pytest
from click.testing import CliRunner

import estimator
from estimator.catalog.loader import load_catalog
from estimator.cli import cli
from estimator.planning.grid import evaluate_grid

CAT = load_catalog()
EXAMPLE = "estimator/data/examples/catalog_qa.jsonl"


def test_deadline_holds_with_long_sequences():
    e = estimator.estimate("pretrain", "llama-3.1-8b", "1T", gpu="h100-sxm", deadline="30d", overrides={"seq_len": 32768})
    assert e.wall_clock_days <= 30 and e.gpus % 8 == 0  # whole 8-GPU servers beyond one (providers.NODE_GPUS)
    fewer = estimator.estimate("pretrain", "llama-3.1-8b", "1T", gpu="h100-sxm", gpus=e.gpus - 8,
                               overrides={"seq_len": 32768})
    assert fewer.wall_clock_days > 30


def test_deadline_finds_the_fewest_gpus():
    """Utilisation falls smoothly with the GPU count (no bands): the deadline search returns the fewest whole
    8-GPU servers that meet 8 days for Llama-2-7B (2T) on A100: one server fewer does not, and the fewest single
    GPUs that would (found by the same search) round up to it."""
    e = estimator.estimate("pretrain", "llama-2-7b", "2T", gpu="a100-80gb", deadline="8d")
    assert e.gpus % 8 == 0
    fewer = estimator.estimate("pretrain", "llama-2-7b", "2T", gpu="a100-80gb", gpus=e.gpus - 8)
    assert e.wall_clock_days <= 8 < fewer.wall_clock_days


def test_grid_over_deadline():
    g = evaluate_grid({"method": "lora", "model": "llama-3.1-8b", "tokens": "50M", "gpu": "h100-sxm"},
                      {"deadline": ["30min", "60min"]}, CAT)
    assert (g["wall_clock_hours"] <= [0.5, 1.0]).all()


def test_moe_adapter_flops_count_routed_experts_only():
    """DeepSeek-V3 QLoRA: 4·N_active + 6·(adapters on 8 routed + 1 shared of 257 experts) ≈ 1.56e11 FLOP/token."""
    e = estimator.estimate("qlora", "deepseek-v3", "10M", gpu="h100-sxm")
    v = e.values
    assert v["active_lora_params"] < v["lora_params"] / 10
    assert v["train_flops_per_token"] == pytest.approx(4 * v["n_active"] + 6 * v["active_lora_params"])
    assert v["train_flops_per_token"] == pytest.approx(1.56e11, rel=0.02)


def test_grid_dataset_tokens_follow_seq_len():
    g = evaluate_grid({"method": "lora", "model": "llama-3.1-8b", "dataset": EXAMPLE, "gpu": "h100-sxm"},
                      {"seq_len": [512, 8192]}, CAT)
    for row in g.to_dict("records"):
        e = estimator.estimate("lora", "llama-3.1-8b", dataset=EXAMPLE, gpu="h100-sxm",
                               overrides={"seq_len": row["seq_len"]})
        assert row["train_tokens"] == e.values["train_tokens"]


def test_grid_with_owned_gpus_matches_scalar():
    g = evaluate_grid({"method": "lora", "model": "llama-3.1-8b", "tokens": "50M", "gpu": "h100-sxm",
                       "purchase_usd_per_gpu": 30000}, {"provider": ["lambda", "owned"]}, CAT)
    owned = estimator.estimate("lora", "llama-3.1-8b", "50M", gpu="h100-sxm", provider="owned",
                               overrides={"purchase_usd_per_gpu": 30000})
    assert g.loc[1, "cost_usd"] == pytest.approx(owned.cost_usd)


@pytest.mark.parametrize("grid, text", [({"gpus": [8, "x"]}, "not a number"), ({"tokens": ["1M", None]}, "not a number"),
                                        ({"epochs": [1, True]}, "not a number"), ({"tier": ["spot", "foo"]}, "tier 'foo'")])
def test_grid_values_are_checked(grid, text):
    with pytest.raises(estimator.ConfigurationError, match=text):
        evaluate_grid({"method": "lora", "model": "llama-3.1-8b", "tokens": "1M", "gpu": "h100-sxm"}, grid, CAT)


def test_non_string_role_is_a_finding(tmp_path):
    f = tmp_path / "r.jsonl"
    f.write_text('{"messages":[{"role":["user"],"content":"hi"},{"role":"assistant","content":"yo"}]}\n'
                 '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}\n')
    r = CliRunner().invoke(cli, ["count", str(f), "--model", "gpt-4o-mini", "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["examples"] == 1 and data["finding_counts"]["data_type"] == 1


def test_csv_messages_column_counts_like_jsonl(tmp_path):
    msgs = [{"role": "user", "content": "hello there"}, {"role": "assistant", "content": "hi"}]
    (tmp_path / "c.jsonl").write_text(json.dumps({"messages": msgs}) + "\n")
    (tmp_path / "c.csv").write_text('messages\n"' + json.dumps(msgs).replace('"', '""') + '"\n')
    a = estimator.count_tokens(tmp_path / "c.jsonl").to_dict()
    b = estimator.count_tokens(tmp_path / "c.csv").to_dict()
    assert a["total_tokens"] == b["total_tokens"] and a["tokens_by_role"] == b["tokens_by_role"]


def test_small_models_on_hopper_are_not_faster_than_the_peak_ratio():
    """Dense peaks: H100 989 vs A100 312 TFLOP/s (3.17×); a 160M model must not gain more than that."""
    a = estimator.estimate("pretrain", "pythia-160m", 300e9, gpu="a100-80gb", gpus=32)
    h = estimator.estimate("pretrain", "pythia-160m", 300e9, gpu="h100-sxm", gpus=32)
    assert a.gpu_hours / h.gpu_hours <= 989 / 312


def test_seq_len_beyond_context_warns():
    e = estimator.estimate("lora", "llama-2-7b", "10M", gpu="h100-sxm", overrides={"seq_len": 65536})
    assert any("exceeds the model's 4,096-token context" in w for w in e.warnings)


def test_monte_carlo_only_varies_what_moves_the_outputs_and_stays_in_bounds():
    e = estimator.estimate("lora", "llama-3.1-8b", "50M", gpu="h100-sxm", uncertainty=True)
    assert "usable_memory_fraction" not in e.uncertainty["ranges"]  # the GPU count is held: it moves nothing


def test_a_model_given_by_size_alone_is_not_capped_at_gpt3s_context():
    """An inline {'params': N} model borrows GPT-3's shape (layers, hidden, heads) but states no context: pretraining
    runs at the seq_len rule's 4,096 (was capped at 2,048), fine-tuning at its 2,048, and the fit search still has
    sequence lengths to try (up to 4× the resolved seq_len)."""
    import estimator

    pre = estimator.estimate("pretrain", {"params": 7e9}, "10B", gpu="h100-sxm", gpus=8)
    ft = estimator.estimate("lora", {"params": 7e9}, "10M", gpu="h100-sxm")
    assert pre.values["seq_len"] == 4096 and ft.values["seq_len"] == 2048
    assert not any("exceeds the model" in w for w in pre.warnings)
    assert estimator.fit({"params": 7e9}, "h100-sxm", "lora").max_seq_len >= 4096
