"""https:// (here http:// on loopback) paths through fsspec: the count equals the local count.

The fixture serves a directory with a small HTTP server that honours Range requests, as object
stores and CDNs do; fsspec reads byte ranges of each file from it."""

import gzip
import json
import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from estimator.tokens import count_tokens

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")


class RangeHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_head(self):
        match = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        if not match:
            return super().send_head()
        path = self.translate_path(self.path)
        with open(path, "rb") as f:
            data = f.read()
        start = int(match.group(1))
        end = min(int(match.group(2)) if match.group(2) else len(data) - 1, len(data) - 1)
        body = data[start:end + 1]
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        import io

        return io.BytesIO(body)


@pytest.fixture
def served(tmp_path):
    lines = [json.dumps({"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a {i}"}]})
             for i in range(3000)]
    lines[100] = '{"text": "stray"}'
    (tmp_path / "chat.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "more.jsonl.gz").write_bytes(gzip.compress(("\n".join(lines[:500]) + "\n").encode()))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(RangeHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_paths_count_like_local_files(served, monkeypatch):
    import estimator.tokens.count as count_mod

    root, url = served
    local = count_tokens([root / "chat.jsonl", root / "more.jsonl.gz"], workers=1).to_dict()
    monkeypatch.setattr(count_mod, "MIN_SHARD_BYTES", 20_000)
    monkeypatch.setattr(count_mod, "SINGLE_PROCESS_BYTES", 0)
    remote = count_tokens([f"{url}/chat.jsonl", f"{url}/more.jsonl.gz"], workers=2).to_dict()
    for key in ("examples", "total_tokens", "billed_tokens_per_epoch", "skipped_lines", "finding_counts"):
        assert remote[key] == local[key], key
    assert [(f["line"], f["kind"]) for f in remote["findings"]] == [(f["line"], f["kind"]) for f in local["findings"]]
    assert remote["findings"][0]["file"] == f"{url}/chat.jsonl"
