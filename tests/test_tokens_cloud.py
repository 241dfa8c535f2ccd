"""gs:// and az:// counts equal the local count exactly, findings with line numbers included.

Like the S3 test (test_tokens_cluster.py), each fixture starts a real storage endpoint on loopback
and stops it: Google Cloud Storage's JSON API from ``gcp-storage-emulator`` (PyPI, in the test extra)
read through gcsfs, and Azure Blob Storage from Azurite (npm; ``.ci/run`` installs it) read through
adlfs with Azurite's documented development-account connection string. The corpus is uploaded with
each service's own protocol (plain HTTP for GCS, azure-storage-blob for Azure), not through the
filesystem under test.
"""

import os
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from estimator.tokens import count_tokens

pytest.importorskip("fsspec")
from test_tokens_cluster import comparable, corpus, free_port, local, small_shards, stop, wait_for_port  # noqa: E402

pytestmark = pytest.mark.slow  # two storage servers per module (~10 s); .ci/run runs them
__all__ = ["corpus", "local", "small_shards"]  # fixtures shared with the S3 and cluster tests

BIN = Path(sys.executable).parent
# Azurite's well-known development account (public; https://learn.microsoft.com/azure/storage/common/storage-use-azurite)
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _server(argv, port):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
    except BaseException:
        stop(proc)
        raise
    return proc


@pytest.fixture(scope="module")
def gcs(corpus):
    """gcp-storage-emulator on loopback holding the corpus under gs://corpus/data/."""
    pytest.importorskip("gcsfs", reason="gs:// needs gcsfs (pip install 'estimator[cloud]')")
    emulator = shutil.which("gcp-storage-emulator", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if emulator is None:
        pytest.skip("gcp-storage-emulator is not installed (pip install -e '.[test]' installs it)")
    port = free_port()
    proc = _server([emulator, "start", "-H", "127.0.0.1", "--port", str(port), "--in-memory", "--quiet",
                    "--default-bucket", "corpus"], port)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for f in sorted(corpus.iterdir()):  # the JSON API's simple upload
            name = urllib.parse.quote(f"data/{f.name}", safe="")
            request = urllib.request.Request(f"{endpoint}/upload/storage/v1/b/corpus/o?uploadType=media&name={name}",
                                             data=f.read_bytes(), method="POST",
                                             headers={"Content-Type": "application/octet-stream"})
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
        yield endpoint
    finally:
        stop(proc)


@pytest.fixture
def gcs_env(gcs, monkeypatch):
    """gs:// points at the emulator, anonymously (never the metadata server), through fsspec's config.

    gcsfs's experimental zonal/HNS filesystem asks the Storage Control gRPC API for each bucket's
    layout, which no emulator serves; the JSON-API filesystem (gcsfs.core) is the one under test.
    """
    monkeypatch.setenv("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs)
    import importlib

    import fsspec
    import gcsfs.core

    registry = importlib.import_module("fsspec.registry")._registry  # the module (fsspec.registry is a mapping)
    for proto in ("gs", "gcs"):
        monkeypatch.setitem(registry, proto, gcsfs.core.GCSFileSystem)
    monkeypatch.setitem(fsspec.config.conf, "gs", {"endpoint_url": gcs, "token": "anon"})
    gcsfs.core.GCSFileSystem.clear_instance_cache()
    yield gcs
    gcsfs.core.GCSFileSystem.clear_instance_cache()


@pytest.fixture(scope="module")
def azurite(corpus):
    """Azurite's blob service on loopback holding the corpus under az://corpus/data/."""
    pytest.importorskip("adlfs", reason="az:// needs adlfs (pip install 'estimator[cloud]')")
    blob = shutil.which("azurite-blob")
    if blob is None:
        pytest.skip("azurite-blob is not on PATH (npm install -g azurite; .ci/run does this when npm exists)")
    from azure.storage.blob import BlobServiceClient

    port = free_port()
    proc = _server([blob, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
                    "--skipApiVersionCheck", "--silent"], port)
    connection = (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
                  f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};")
    try:
        with BlobServiceClient.from_connection_string(connection) as service:
            container = service.create_container("corpus")
            for f in sorted(corpus.iterdir()):
                container.upload_blob(f"data/{f.name}", f.read_bytes())
        yield connection
    finally:
        stop(proc)


@pytest.fixture
def azure_env(azurite, monkeypatch):
    """az:// reads the connection string from adlfs's usual environment variable."""
    import adlfs

    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite)
    adlfs.AzureBlobFileSystem.clear_instance_cache()
    yield azurite
    adlfs.AzureBlobFileSystem.clear_instance_cache()


def test_gs_count_equals_local_count(local, gcs_env, small_shards):
    remote = count_tokens("gs://corpus/data/", workers=2)
    assert comparable(remote) == local
    assert comparable(count_tokens("gs://corpus/data/*", workers=1)) == local
    assert {f.file for f in remote.findings.items} == {"gs://corpus/data/chat.jsonl"}


def test_az_count_equals_local_count(local, azure_env, small_shards):
    remote = count_tokens("az://corpus/data/", workers=2)
    assert comparable(remote) == local
    assert comparable(count_tokens("az://corpus/data/*", workers=1)) == local
    # findings name the object in the scheme given (adlfs's own listings say abfs://)
    assert {f.file for f in remote.findings.items} == {"az://corpus/data/chat.jsonl"}


def test_missing_gs_and_az_objects_are_one_line(gcs_env, azure_env):
    from estimator.errors import DatasetError

    for url in ("gs://corpus/data/nope.jsonl", "az://corpus/data/nope.jsonl"):
        with pytest.raises(DatasetError, match="no such object"):
            count_tokens(url)
