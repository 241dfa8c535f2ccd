"""Progress on stderr when it is a terminal: through the CLI and through count_tokens(progress=True),
under a pseudo-terminal; nothing when stderr is a pipe."""

import json
import os
import pty
import re
import subprocess
import sys

import pytest


def big_chat(path, mb=12):
    line = json.dumps({"messages": [{"role": "user", "content": "Tell me about tokens. " * 20},
                                    {"role": "assistant", "content": "Tokens are pieces of text. " * 40}]}) + "\n"
    with open(path, "w") as f:
        f.write(line * (mb * 2**20 // len(line)))
    return path


def run_with_pty_stderr(argv):
    """Run argv with stderr on a pseudo-terminal; return (stdout, everything written to the terminal)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read()
    proc.wait(timeout=120)
    os.close(master)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return out.decode(), b"".join(chunks).decode(errors="replace")


PROGRESS = re.compile(r"counting(?: on the cluster)?\s+(\d+\.\d)%\s+[\d.,]+/[\d.,]+ MiB\s+[\d.,]+ MiB/s\s+[\d.,]+ M tokens/s\s+(\S+) left")


@pytest.mark.parametrize("how", ["cli", "library", pytest.param("cluster", marks=pytest.mark.slow)])
def test_progress_under_a_pseudo_terminal(tmp_path, how):
    path = big_chat(tmp_path / "c.jsonl")
    if how == "cluster":
        pytest.importorskip("distributed")
        argv = [sys.executable, "-m", "estimator", "count", str(path), "--scheduler", "local", "--workers", "1",
                "--format", "json"]
    elif how == "cli":
        argv = [sys.executable, "-m", "estimator", "count", str(path), "--workers", "1", "--format", "json"]
    else:
        argv = [sys.executable, "-c", "from estimator.tokens import count_tokens; "
                f"print(count_tokens({str(path)!r}, workers=1, progress=True).total_tokens)"]
    out, tty = run_with_pty_stderr(argv)
    assert out.strip()
    shown = PROGRESS.findall(tty)
    assert shown, tty[-500:]
    assert any(0 < float(pct) < 100 for pct, _ in shown), shown  # it moved while counting, not only at the end
    assert any(left != "?" for _, left in shown)
    assert tty.endswith("\r\x1b[K") or tty.rstrip("\r\n").endswith("\x1b[K")  # the line is cleared at the end


def test_no_progress_when_stderr_is_a_pipe(tmp_path):
    path = big_chat(tmp_path / "c.jsonl", mb=2)
    result = subprocess.run([sys.executable, "-m", "estimator", "count", str(path), "--format", "json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "counting" not in result.stderr and "MiB" not in result.stderr
