"""Estimates driven by a dataset: the tokens come from the counter and the trace says so."""

import json

import pytest
from click.testing import CliRunner

import estimator
from estimator.cli import cli


def chat_file(tmp_path, n=40, words=60):
    f = tmp_path / "chat.jsonl"
    with f.open("w") as out:
        for i in range(n):
            out.write(json.dumps({"messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": f"Question {i}: " + "why " * (words // 2)},
                {"role": "assistant", "content": "Because " + "it is so " * (words // 3)},
            ]}) + "\n")
    return f


def test_lora_from_dataset_end_to_end_with_trace(tmp_path):
    f = chat_file(tmp_path)
    r = CliRunner().invoke(cli, ["estimate", "--method", "lora", "--model", "llama-3.1-8b", "--dataset", str(f),
                                 "--gpu", "h100-sxm", "--explain"])
    assert r.exit_code == 0, r.output
    assert "tokens = " in r.output and "[dataset]" in r.output
    assert f"{f}: 40 examples" in r.output and "examples concatenated into rows of s tokens" in r.output
    assert "seq_len=2,048" in r.output


def test_api_billing_uses_counted_tokens_cap_and_default_epochs(tmp_path):
    f = chat_file(tmp_path, n=5)
    profile = estimator.count_tokens(f, encoding="o200k_base", example_cap=65536)
    e = estimator.estimate(method="api", model="gpt-4o-mini", dataset=f)
    assert e.values["billed_tokens_per_epoch"] == profile.billed_tokens_per_epoch
    assert e.values["epochs"] == 20  # cookbook rule: 5 examples -> min(25, 100 // 5)
    assert e.cost_usd == pytest.approx(profile.billed_tokens_per_epoch * 20 * 3.00 / 1e6)


def test_gpu_tokens_are_packed_by_default_and_padded_on_request(tmp_path):
    f = chat_file(tmp_path, n=50)
    packed = estimator.estimate(method="full", model="llama-3.1-8b", dataset=f, gpu="h100-sxm", epochs=1)
    padded = estimator.estimate(method="full", model="llama-3.1-8b", dataset=f, gpu="h100-sxm", epochs=1,
                                packing=False)
    assert packed.values["tokens"] % 2048 == 0
    assert padded.values["tokens"] == 50 * 2048  # every example padded to seq_len
    assert padded.train_flops > packed.train_flops
    assert packed.profile.examples == 50


def test_default_epochs_for_fine_tuning_is_three(tmp_path):
    e = estimator.estimate(method="lora", model="llama-3.1-8b", dataset=chat_file(tmp_path), gpu="h100-sxm")
    assert e.values["epochs"] == 3


def test_approximate_tokenizer_warns(tmp_path):
    e = estimator.estimate(method="lora", model="llama-2-7b", dataset=chat_file(tmp_path), gpu="h100-sxm")
    assert any("approximate" in w for w in e.warnings)


def test_broken_line_flows_as_warning(tmp_path):
    f = chat_file(tmp_path, n=3)
    with f.open("a") as out:
        out.write("{not json\n")
    e = estimator.estimate(method="api", model="gpt-4o-mini", dataset=f, epochs=1)
    assert any("dataset findings" in w for w in e.warnings)


def test_missing_dataset_is_one_line_error(tmp_path):
    r = CliRunner().invoke(cli, ["estimate", "--method", "lora", "--model", "llama-3.1-8b", "--dataset",
                                 str(tmp_path / "nope.jsonl"), "--gpu", "h100-sxm"])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_compare_with_dataset_has_profile(tmp_path):
    c = estimator.compare(dataset=chat_file(tmp_path), model="llama-3.1-8b")
    assert c.profile is not None and c.profile.examples == 40
    assert len(c.estimates) >= 10  # scratch (compute-optimal), full, LoRA, QLoRA and the hosted services


def test_hosted_api_availability_is_a_warning_and_a_compare_note():
    e = estimator.estimate(method="api", model="gpt-4o-mini", tokens=1e5, epochs=3)
    assert any("closed to new users" in w for w in e.warnings)
    c = estimator.compare(model="llama-3.1-8b", tokens="1M")
    assert any("closed to new users" in n for n in c.notes)
