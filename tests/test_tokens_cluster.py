"""Distributed and remote counts equal the local count exactly, findings with line numbers included.

Fixtures start real servers on loopback and stop them: a moto S3 server (``moto_server``), and a
``dask scheduler`` with two ``dask worker`` processes; LocalCluster is tested too.
"""

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from estimator.tokens import count_tokens

pytestmark = pytest.mark.slow  # a real scheduler, two workers and an S3 server per module (~25 s); .ci/run runs it

pytest.importorskip("distributed")
BIN = Path(sys.executable).parent
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_SESSION_TOKEN": "testing"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"port {port} did not open")


def stop(*procs):
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def chat(i):
    return {"messages": [{"role": "system", "content": "Answer briefly."},
                         {"role": "user", "content": f"Question {i}: what is {i} squared?"},
                         {"role": "assistant", "content": f"{i} squared is {i * i}." + " Indeed." * (i % 5)}]}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """JSONL chat (with broken lines), gzip prompt/completion, Parquet with row groups, and plain text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path_factory.mktemp("corpus")
    lines = [json.dumps(chat(i)) for i in range(4000)]
    lines[10] = '{"text": "no messages key"}'
    lines[2500] = "{broken json"
    lines[3999] = json.dumps({"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "x"}]})
    (root / "chat.jsonl").write_text("\n".join(lines) + "\n")
    pc = "".join(json.dumps({"prompt": f"Translate {i}", "completion": f" Traduire {i}"}) + "\n" for i in range(3000))
    (root / "pc.jsonl.gz").write_bytes(gzip.compress(pc.encode()))
    texts = [f"Row {i} holds a short paragraph of text about item {i}." * (1 + i % 4) for i in range(6000)]
    pq.write_table(pa.table({"text": texts}), root / "rows.parquet", row_group_size=500)
    (root / "book.txt").write_text("".join(f"Chapter line {i}.\n  indented {i}\n\n" for i in range(8000)))
    return root


def comparable(profile):
    d = profile.to_dict()
    d["findings"] = [(Path(f["file"]).name, f["line"], f["kind"]) for f in d["findings"]]
    for key in ("bytes", "tokenizer_source", "factor_check"):
        d.pop(key)
    return d


@pytest.fixture
def small_shards(monkeypatch):
    """Shards of ~16 kB, so every file splits into many tasks (byte ranges, row groups)."""
    import estimator.tokens.count as count_mod
    import estimator.tokens.files as files_mod

    monkeypatch.setattr(count_mod, "MIN_SHARD_BYTES", 16_000)
    monkeypatch.setattr(count_mod, "SHARD_BYTES", 16_000)
    monkeypatch.setattr(files_mod, "SHARD_BYTES", 64_000)  # text pieces (one example each) stay as locally
    monkeypatch.setattr(count_mod, "SINGLE_PROCESS_BYTES", 0)


@pytest.fixture(scope="module")
def local(corpus):
    import estimator.tokens.files as files_mod

    saved = files_mod.SHARD_BYTES
    files_mod.SHARD_BYTES = 64_000
    try:
        return comparable(count_tokens(corpus, workers=1))
    finally:
        files_mod.SHARD_BYTES = saved


@pytest.fixture(scope="module")
def s3(corpus):
    """A moto S3 server on loopback holding the corpus under s3://corpus/data/."""
    port = free_port()
    env = dict(os.environ, **CREDENTIALS)
    proc = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        endpoint = f"http://127.0.0.1:{port}"
        import boto3

        client = boto3.client("s3", endpoint_url=endpoint, **{k.lower(): v for k, v in CREDENTIALS.items()
                                                              if k != "AWS_DEFAULT_REGION"}, region_name="us-east-1")
        client.create_bucket(Bucket="corpus")
        for f in sorted(corpus.iterdir()):
            client.upload_file(str(f), "corpus", f"data/{f.name}")
        yield {"AWS_ENDPOINT_URL": endpoint, "FSSPEC_S3_ENDPOINT_URL": endpoint, **CREDENTIALS}
    finally:
        proc.kill()  # a throwaway test server: no graceful shutdown needed
        proc.wait()


@pytest.fixture
def s3_env(s3, monkeypatch):
    import fsspec

    for k, v in s3.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": s3["AWS_ENDPOINT_URL"]})
    fsspec.filesystem("s3").clear_instance_cache()
    return s3


@pytest.fixture(scope="module")
def dask_cluster(s3):
    """`dask scheduler` and two `dask worker` processes on loopback (workers see the S3 endpoint)."""
    port = free_port()
    env = dict(os.environ, **s3, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    dask = str(BIN / "dask")
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    try:
        wait_for_port(port, scheduler)
        address = f"tcp://127.0.0.1:{port}"
        workers = [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                                     "--memory-limit", "0", "--host", "127.0.0.1"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        stop(*workers, scheduler)


def test_local_corpus_has_every_format_and_the_broken_lines(local):
    assert local["files"] == 4
    assert [f for f in local["findings"] if f[0] == "chat.jsonl"] == [
        ("chat.jsonl", 11, "missing_messages_list"), ("chat.jsonl", 2501, "invalid_json"),
        ("chat.jsonl", 4000, "missing_content")]
    assert local["skipped_lines"] == 3


def test_local_cluster_equals_local_count(corpus, local, small_shards):
    assert comparable(count_tokens(corpus, scheduler="local", workers=2)) == local


def test_scheduler_and_two_workers_equal_local_count(corpus, local, dask_cluster, small_shards):
    from distributed import Client

    assert comparable(count_tokens(corpus, scheduler=dask_cluster)) == local
    with Client(dask_cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2


def test_shards_are_sized_for_the_clusters_threads_not_this_machines_cores(corpus, local, dask_cluster, small_shards,
                                                                         monkeypatch):
    """Without --workers, a running cluster's 2 worker threads size the tasks (about total / (8 x 2)), even
    where this machine has 64 cores; the count is unchanged."""
    import estimator.tokens.count as count_mod

    sizes = []
    plan = count_mod.plan_shards
    monkeypatch.setattr(count_mod, "available_cores", lambda: 64)
    monkeypatch.setattr(count_mod, "MIN_SHARD_BYTES", 1000)
    monkeypatch.setattr(count_mod, "SHARD_BYTES", 10**9)
    monkeypatch.setattr(count_mod, "plan_shards", lambda files, fmt, size: sizes.append(size) or plan(files, fmt, size))
    assert comparable(count_tokens(corpus, scheduler=dask_cluster)) == local
    total = sum(f.stat().st_size for f in corpus.iterdir())
    assert sizes == [-(-total // 16)]


def test_s3_count_equals_local_count(local, s3_env, small_shards):
    assert comparable(count_tokens("s3://corpus/data/", workers=2)) == local
    assert comparable(count_tokens("s3://corpus/data/*", workers=1)) == local


def test_s3_on_the_cluster_equals_local_count(local, s3_env, dask_cluster, small_shards):
    assert comparable(count_tokens("s3://corpus/data/", scheduler=dask_cluster)) == local


def test_sampling_runs_on_the_cluster_with_its_interval(corpus, dask_cluster):
    on_cluster = count_tokens(corpus, sample=0.3, seed=1, scheduler=dask_cluster).to_dict()
    here = count_tokens(corpus, sample=0.3, seed=1, workers=1).to_dict()
    assert on_cluster["sample"] == here["sample"]
    est = on_cluster["sample"]["estimates"]["total_tokens"]
    assert est["ci95_low"] <= est["estimate"] <= est["ci95_high"]


def test_cli_scheduler_flag(corpus, local, dask_cluster, small_shards):
    from click.testing import CliRunner

    from estimator.cli.count import count

    result = CliRunner().invoke(count, [str(corpus), "--scheduler", dask_cluster, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total_tokens"] == local["total_tokens"]


def test_default_path_imports_neither_dask_nor_fsspec(corpus):
    code = ("import sys; from estimator.tokens import count_tokens; "
            f"count_tokens({str(corpus / 'chat.jsonl')!r}, workers=2); "
            "print(sorted(m for m in ('dask', 'distributed', 'fsspec') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_unreachable_scheduler_is_one_line(corpus, monkeypatch):
    import estimator.tokens.cluster as cluster
    from estimator.errors import EstimatorError

    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 2)
    with pytest.raises(EstimatorError, match="cannot reach the Dask scheduler"):
        count_tokens(corpus / "chat.jsonl", scheduler=f"tcp://127.0.0.1:{free_port()}")


@pytest.mark.skipif(shutil.which("moto_server") is None and not (BIN / "moto_server").exists(), reason="no moto")
def test_missing_s3_object_is_one_line(s3_env):
    from estimator.errors import DatasetError

    with pytest.raises(DatasetError, match="no such object"):
        count_tokens("s3://corpus/data/nope.jsonl")


def test_a_damaged_file_on_the_cluster_is_the_same_one_line_error(tmp_path, dask_cluster):
    from estimator.errors import DatasetError

    data = gzip.compress(("".join(json.dumps(chat(i)) + "\n" for i in range(3000))).encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match=r"cut\.jsonl\.gz: truncated or corrupt gzip data"):
        count_tokens(tmp_path / "cut.jsonl.gz", scheduler=dask_cluster)
