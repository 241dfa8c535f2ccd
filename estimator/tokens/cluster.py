"""The map on a dask.distributed cluster: one task per shard, profiles reduced in file order on the client.

Imported only when a scheduler is given, so the default path never imports Dask. Workers
must be able to import estimator and read the paths: URLs (s3://, gs://, ...) work anywhere,
local paths need a filesystem the workers share. Progress comes from the cluster: workers
publish the bytes and tokens of running tasks as events on the ``estimator-progress`` topic
(``Worker.log_event``), and finished tasks arrive through ``as_completed``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from estimator.errors import EstimatorError
from estimator.tokens.files import Shard
from estimator.tokens.profile import DatasetProfile
from estimator.tokens.shard import Job, count_shard

TOPIC = "estimator-progress"
EVENT_SECONDS = 0.5  # a running task reports at most this often
CONNECT_SECONDS = 20


def _task(shard: Shard, job: Job, topic: str) -> tuple[int, DatasetProfile, int]:
    """Runs on a worker: count one shard, publishing progress events while it runs."""
    from distributed import get_worker

    worker = get_worker()
    pending = [0, 0]
    last = [time.monotonic()]

    def tick(nbytes: int, tokens: int) -> None:
        pending[0] += nbytes
        pending[1] += tokens
        now = time.monotonic()
        if now - last[0] >= EVENT_SECONDS:
            worker.log_event(topic, {"bytes": pending[0], "tokens": pending[1]})
            pending[0] = pending[1] = 0
            last[0] = now

    profile, lines = count_shard(shard, job, tick)
    if pending[0] or pending[1]:
        worker.log_event(topic, {"bytes": pending[0], "tokens": pending[1]})
    return shard.index, profile, lines


class ClusterRunner:
    """Runs shards on ``scheduler``: 'local' (a LocalCluster of ``workers`` one-thread processes) or an address.

    Connects on first use and stays connected until ``close()``, so sizing the shards (``slots``) and
    running them share one connection.
    """

    def __init__(self, scheduler: str, workers: int):
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise EstimatorError("--scheduler needs dask.distributed (pip install 'estimator[dask]')") from None
        self.scheduler, self.workers = scheduler, workers
        self._client = self._cluster = None

    def _connect(self):
        if self._client is not None:
            return self._client
        from distributed import Client, LocalCluster

        if self.scheduler == "local":
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=50)
            self._client = Client(self._cluster)
            return self._client
        try:
            self._client = Client(self.scheduler, timeout=f"{CONNECT_SECONDS}s")
        except (OSError, TimeoutError) as exc:
            raise EstimatorError(f"cannot reach the Dask scheduler at {self.scheduler} ({exc})") from None
        return self._client

    def slots(self) -> int:
        """Task slots on the cluster now (worker threads), at least 1: what the shards are sized for."""
        return max(1, sum(self._connect().nthreads().values()))

    def run(self, shards: list[Shard], job: Job, bar: Any, on_result) -> None:
        """Submit one task per shard (in file order), hand each result to ``on_result`` as it finishes."""
        from distributed import as_completed

        client = self._connect()
        topic = f"{TOPIC}-{uuid.uuid4().hex[:8]}"
        futures = []
        try:
            client.subscribe_topic(topic, lambda event: bar.tick(event[1]["bytes"], event[1]["tokens"]))
            [job_future] = client.scatter([job], broadcast=True, hash=False)
            ordered = sorted(shards, key=lambda s: s.index)
            futures = client.map(_task, ordered, job=job_future, topic=topic, pure=False,
                                 key=[f"estimator-count-{topic}-{s.index}" for s in ordered])
            for future, (index, profile, lines) in as_completed(futures, with_results=True):
                on_result(index, profile, lines)
                future.release()
        finally:
            if futures:
                client.cancel(futures)
            try:
                client.unsubscribe_topic(topic)
            except Exception:  # the client may already be closing
                pass

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None
