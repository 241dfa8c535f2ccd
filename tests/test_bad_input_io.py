"""Special files, permissions, full disks, unwritable reports, broken datasets and Ctrl-C (issue 13).

Where a real process matters (FIFOs, SIGINT, /dev/full, permissions as an unprivileged user) the CLI runs
in a subprocess with a timeout, so a regression fails instead of hanging the suite."""

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from cli_helpers import one_line, run

from estimator.atomic import write_text_atomic
from estimator.errors import OutputError

OLD = "<html>the report of an earlier, good run</html>"
LORA = ["estimate", "--method", "lora", "--model", "llama-3.1-8b", "--tokens", "1M", "--gpu", "h100-sxm"]




def proc(argv, timeout=60, **kw):
    """The CLI in a real process: (returncode, stdout, stderr)."""
    p = subprocess.run([sys.executable, "-m", "estimator", *map(str, argv)], capture_output=True, text=True,
                       timeout=timeout, **kw)
    return p.returncode, p.stdout, p.stderr


def one_stderr_line(stderr, *needles):
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert len(lines) == 1, stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def jsonl(path, n=20):
    path.write_text("".join(json.dumps({"text": f"example {i}: the quick brown fox"}) + "\n" for i in range(n)))
    return path


# ---- report targets -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("target, needle", [
    ("/dev/full", "is a character device; outputs are written only to regular files"),
    ("/dev/null", "is a character device"),
])
def test_report_to_a_device_is_refused_before_any_work(monkeypatch, target, needle):
    """As root the atomic writer would have made a temp file in /dev and renamed it over the device."""
    import estimator.planning.comparison as comparison

    def never(*a, **k):
        raise AssertionError("the estimate ran before the target was checked")

    monkeypatch.setattr(comparison, "compare", never)
    before = os.stat(target)
    one_line(run("compare", "--tokens", "1M", "--report", target), target, needle)
    after = os.stat(target)
    assert (before.st_mode, before.st_rdev, before.st_ino) == (after.st_mode, after.st_rdev, after.st_ino)
    assert not [p for p in os.listdir("/dev") if p.startswith(f".{Path(target).name}.")]


def test_report_to_a_fifo_is_refused(tmp_path):
    fifo = tmp_path / "r.html"
    os.mkfifo(fifo)
    one_line(run("compare", "--tokens", "1M", "--report", fifo), "named pipe (FIFO)")
    assert Path(fifo).is_fifo()


def test_report_whose_parent_is_a_file(tmp_path):
    parent = tmp_path / "afile"
    parent.write_text("keep me")
    one_line(run("compare", "--tokens", "1M", "--report", parent / "r.html"), str(parent / "r.html"),
             "a parent of this path is a file")
    one_line(run("compare", "--tokens", "1M", "--report", parent / "sub" / "r.html"), "is a file, not a directory")
    assert parent.read_text() == "keep me"


@pytest.mark.parametrize("argv", [["validate", "--samples", "100", "--output"], ["catalog", "rules", "--output"],
                                  ["compare", "--tokens", "1M", "--output"]])
def test_other_outputs_to_a_device_are_one_line(argv):
    one_line(run(*argv, "/dev/full"), "/dev/full", "character device")


def test_atomic_writer_never_renames_over_a_special_file(tmp_path, monkeypatch):
    """Even if the path turns into a device or FIFO after the first check, the rename is refused."""
    import estimator.atomic as atomic

    fifo = tmp_path / "out.html"
    os.mkfifo(fifo)
    monkeypatch.setattr(atomic, "check_output_target", lambda path, error: Path(path))
    with pytest.raises(OutputError, match="named pipe"):
        write_text_atomic(fifo, "x")
    assert fifo.is_fifo()
    assert os.listdir(tmp_path) == ["out.html"]  # the temp file is gone


def test_atomic_writer_os_errors_are_output_errors(tmp_path, monkeypatch):
    import tempfile as tf

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tf, "mkstemp", denied)
    with pytest.raises(OutputError, match="r.html: cannot write: permission denied"):
        write_text_atomic(tmp_path / "r.html", "x")


def test_full_disk_while_writing_a_report_keeps_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "r.html"
    target.write_text(OLD)

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="no space left on device"):
        write_text_atomic(target, "new")
    assert target.read_text() == OLD and os.listdir(tmp_path) == ["r.html"]


# ---- stdout on a full disk ------------------------------------------------------------------------------------------
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [["catalog", "models"], ["--help"], ["--version"],
                                  pytest.param(LORA, marks=pytest.mark.slow)])
def test_stdout_on_a_full_disk(argv):
    """Before: exit 120 and Python's 'Exception ignored ... BrokenPipe/OSError' lines."""
    with open("/dev/full", "w") as full:
        p = subprocess.run([sys.executable, "-m", "estimator", *argv], stdout=full, stderr=subprocess.PIPE, text=True,
                           timeout=60)
    assert p.returncode == 1
    lines = [x for x in p.stderr.splitlines() if x.strip() and not x.startswith("warning:")]
    assert lines == ["Error: cannot write the output: no space left on device"], p.stderr
    assert "Exception ignored" not in p.stderr


# ---- broken datasets in compare: fail the command, keep the old report ----------------------------------------------
def broken_datasets(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 20)
    return {"fifo": fifo, "binary": binary}


@pytest.mark.parametrize("kind", ["fifo", "binary"])
def test_compare_with_a_broken_dataset_fails_and_keeps_the_report(tmp_path, kind):
    """Before: exit 0 with only the pretraining row, and the old report replaced by that one-row report."""
    data = broken_datasets(tmp_path)[kind]
    report = tmp_path / "report.html"
    report.write_text(OLD)
    before = sorted(os.listdir(tmp_path))
    rc, out, err = proc(["compare", "--dataset", data, "--report", report], timeout=60)
    assert rc == 1, out + err
    one_stderr_line(err, str(data))
    assert report.read_text() == OLD
    assert sorted(os.listdir(tmp_path)) == before  # no temp file left behind either


def test_estimate_with_a_fifo_dataset_does_not_block(tmp_path):
    data = broken_datasets(tmp_path)["fifo"]
    rc, out, err = proc([*LORA[:5], "--gpu", "h100-sxm", "--dataset", data], timeout=60)
    assert rc == 1
    one_stderr_line(err, str(data), "not a regular file")


def compressed_garbage(tmp_path):
    data = b"".join(json.dumps({"text": os.urandom(24).hex()}).encode() + b"\n" for _ in range(4000))
    packed = gzip.compress(data)
    trunc = tmp_path / "trunc.jsonl.gz"
    trunc.write_bytes(packed[: len(packed) // 2])
    zst = tmp_path / "bad.jsonl.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd" + os.urandom(300))
    return {"truncated gzip": trunc, "corrupt zstd": zst}


@pytest.mark.parametrize("kind", ["truncated gzip", "corrupt zstd"])
@pytest.mark.parametrize("command", ["count", "compare"])
def test_corrupt_archives_are_one_line(tmp_path, kind, command):
    """Before: internal error (EOFError ...) / internal error (ZstdError ...)."""
    path = compressed_garbage(tmp_path)[kind]
    report = tmp_path / "r.html"
    report.write_text(OLD)
    argv = ["count", path, "--quiet"] if command == "count" else ["compare", "--dataset", path, "--report", report]
    r = run(*argv)
    line = one_line(r, str(path))
    assert "internal error" not in line
    assert report.read_text() == OLD


@pytest.mark.slow
def test_count_directory_holding_a_fifo_does_not_block(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    jsonl(folder / "a.jsonl")
    os.mkfifo(folder / "b.jsonl")
    try:
        rc, out, err = proc(["count", folder, "--quiet", "--format", "json"], timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("count blocked on a FIFO inside the directory")
    assert "Traceback" not in err
    assert rc == 0 and json.loads(out)["examples"] == 20


# ---- permissions (mode 000, read-only directory) --------------------------------------------------------------------
@pytest.fixture
def shared_dir():
    """A directory an unprivileged user can enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="estimator-perm-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    for p in path.rglob("*"):
        p.chmod(0o700) if p.is_dir() else None
    shutil.rmtree(path, ignore_errors=True)


def as_user(argv, cwd):
    """Run the CLI without root's override of file permissions (as `nobody` when the tests run as root)."""
    if os.geteuid() != 0:
        return proc(argv, cwd=cwd)
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: cannot drop root's permission override")
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m",
                        "estimator", *map(str, argv)], capture_output=True, text=True, timeout=60, cwd=cwd,
                       env={**os.environ, "HOME": str(cwd)})
    return p.returncode, p.stdout, p.stderr


@pytest.mark.parametrize("argv, needle", [
    (["catalog", "validate", "locked.yaml"], "locked.yaml: cannot read: permission denied"),
    (["compare", "locked.yaml"], "locked.yaml: cannot read: permission denied"),
    (["count", "locked.jsonl", "--quiet"], "locked.jsonl"),
    (["compare", "--dataset", "locked.jsonl"], "locked.jsonl"),
])
def test_unreadable_file_is_one_line(shared_dir, argv, needle):
    """Before: internal error (PermissionError ...) or click's usage text."""
    (shared_dir / "locked.yaml").write_text("models: []\n")
    jsonl(shared_dir / "locked.jsonl")
    for name in ("locked.yaml", "locked.jsonl"):
        (shared_dir / name).chmod(0)
    rc, out, err = as_user(argv, shared_dir)
    assert rc == 1, out + err
    lines = [x for x in (out + err).splitlines() if x.strip()]
    assert len(lines) == 1 and needle in lines[0] and "permission denied" in lines[0].lower(), out + err
    assert "internal error" not in lines[0] and "Traceback" not in err


@pytest.mark.parametrize("where", ["ro/r.html", "ro/new/r.html"])
def test_report_in_a_read_only_directory(shared_dir, where):
    (shared_dir / "ro").mkdir()
    (shared_dir / "ro").chmod(0o555)
    rc, out, err = as_user(["compare", "--tokens", "1M", "--report", where], shared_dir)
    assert rc == 1, out + err
    one_stderr_line(err, where, "cannot write: permission denied")
    assert os.listdir(shared_dir / "ro") == []


# ---- Ctrl-C ----------------------------------------------------------------------------------------------------------
def interrupt(argv, after=1.5, timeout=60):
    """Start the CLI in its own process group, send SIGINT to the group (as a terminal's Ctrl-C does)."""
    p = subprocess.Popen([sys.executable, "-m", "estimator", *map(str, argv)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(after)
    assert p.poll() is None, "finished before the interrupt: make the workload larger"
    os.killpg(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err


@pytest.mark.slow
def test_ctrl_c_during_compare(tmp_path):
    """Before: exit 1 with 'Aborted!'. A 100,000-point grid keeps compare busy for several seconds."""
    mfu = ", ".join(f"{0.1 + i * 1e-4:.5f}" for i in range(200))
    f = tmp_path / "grid.yaml"
    f.write_text("defaults: {method: lora, model: llama-3.1-8b, tokens: 1M, gpu: h100-sxm}\n"
                 f"grid:\n  mfu: [{mfu}]\n  lora_rank: [{', '.join(str(i) for i in range(1, 501))}]\n")
    for after in (1.0, 2.5):  # while resolving, then while printing
        rc, out, err = interrupt(["compare", f], after=after)
        assert rc == 130
        assert err.splitlines() == ["interrupted"], err


def big_jsonl(path, mb=60):
    line = json.dumps({"text": "the quick brown fox jumps over the lazy dog " * 20}) + "\n"
    with open(path, "w") as f:
        f.write(line * (mb * 2**20 // len(line)))
    return path


@pytest.mark.slow
def test_ctrl_c_during_count(tmp_path):
    """Before: exit 1, 'Aborted!' and worker KeyboardInterrupt tracebacks in 9 of 14 runs."""
    data = big_jsonl(tmp_path / "big.jsonl")
    for _ in range(3):
        rc, out, err = interrupt(["count", data, "--quiet", "--workers", "2"], after=1.0)
        assert rc == 130
        assert err.splitlines() == ["interrupted"], err


def test_ctrl_c_in_process_is_exit_130(monkeypatch):
    import estimator.planning.comparison as comparison

    def stop(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(comparison, "compare", stop)
    before = signal.getsignal(signal.SIGINT)
    r = run("compare", "--tokens", "1M")
    assert r.exit_code == 130 and r.output.strip() == "interrupted"
    # an in-process caller keeps its Ctrl-C handler (it used to be left ignored for the rest of the process)
    assert signal.getsignal(signal.SIGINT) is before
