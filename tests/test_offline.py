"""No code path opens a network connection: sockets are made to fail, then every command runs."""

import socket

import pytest
from click.testing import CliRunner


@pytest.fixture
def no_network(monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert attempts == []


def test_estimates_and_catalog_run_offline(no_network):
    from estimator.catalog.loader import _bundled
    from estimator.cli import cli

    _bundled.cache_clear()
    runner = CliRunner()
    commands = [
        ["estimate", "--method", "pretrain", "--model", "llama-2-7b", "--tokens", "2T", "--gpu", "a100-80gb", "--gpus", "64"],
        ["estimate", "--method", "full", "--model", "mixtral-8x7b", "--tokens", "1B", "--gpu", "h100-sxm", "--explain"],
        ["estimate", "--method", "lora", "--model", "qwen2.5-7b", "--tokens", "10M", "--gpu", "l40s", "--format", "json"],
        ["estimate", "--method", "qlora", "--model", "llama-3.1-70b", "--tokens", "10M", "--gpu", "a100-80gb"],
        ["estimate", "--method", "api", "--model", "gpt-4.1-mini", "--tokens", "1M", "--epochs", "2"],
        ["catalog", "models"], ["catalog", "prices"], ["catalog", "apis"],
    ]
    for argv in commands:
        result = runner.invoke(cli, argv)
        assert result.exit_code == 0, (argv, result.output)


def test_every_bundled_encoding_loads_offline(no_network):
    tokens = pytest.importorskip("estimator.tokens")
    for name in ("cl100k_base", "o200k_base", "p50k_base", "r50k_base"):
        enc = tokens.get_encoding(name)
        assert enc.encode("hello world")


def test_count_compare_report_and_validate_run_offline(no_network, tmp_path):
    from estimator.cli import cli
    from estimator.examples import example_dataset

    runner = CliRunner()
    data = str(example_dataset())
    for argv in (["count", data, "--model", "gpt-4o-mini", "--workers", "2"],
                 ["count", data, "--model", "llama-3.1-8b", "--seq-len", "1024"],
                 ["estimate", "--method", "lora", "--model", "llama-3.1-8b", "--dataset", data, "--gpu", "h100-sxm",
                  "--uncertainty"],
                 ["compare", "--dataset", data, "--report", str(tmp_path / "r.html")],
                 ["validate", "--samples", "200"]):
        result = runner.invoke(cli, argv)
        assert result.exit_code == 0, (argv, result.output)
    assert (tmp_path / "r.html").stat().st_size > 1_000_000  # plotly.js embedded: opens offline
