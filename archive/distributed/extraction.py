"""Extraction on RQ workers: jobs carry a blob's sha256, name and bytes; the one writer stores
the results. Each job runs in a work horse forked for it (RQ's default), so PDFium, which is
not thread-safe, never sees two documents in one process, and a horse killed by OOM takes one
job with it, which RQ retries. Workers are offline like ``reextract``: they read nothing but
the job.

A worker killed with its horse (SIGKILL, power loss) stops refreshing its liveness key
(``LIVENESS_TTL`` s); the dispatcher then hands its started job to RQ's own abandoned-job
handling at once (instead of after RQ's heartbeat TTL, a minute or more), which retries it.

Example::

    gkarchive worker --extract --redis redis://10.0.0.5:6379/0      # on each OCR machine
    gkarchive reextract --missing --redis redis://10.0.0.5:6379/0   # the writer
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import sys
import threading
import time
import uuid
from collections import deque

from rq import Queue, Retry, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from archive.distributed.redisconn import connect

logger = logging.getLogger(__name__)

QUEUE = "gkarchive-extract"
ALIVE_PREFIX = "gkarchive:extract-worker:"
LIVENESS_TTL = 10  # seconds a worker counts as alive after its last refresh
LIVENESS_EVERY = 2.0
JOB_TIMEOUT = 1800  # one document, OCR of a long scan included
RETRIES = 2  # a job whose horse or worker died is run again this many times
RESULT_TTL = 24 * 3600  # results wait this long for a writer that was down
POLL_SECONDS = 0.2
NO_WORKER_NOTICE_EVERY = 30.0


def extract_job(sha256: str, data: bytes, name: str) -> dict:
    """The job: extract and parse one blob's bytes (``archive.reports.extract_bytes``)."""
    from archive.reports import extract_bytes

    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ValueError(f"job bytes hash to {digest}, not {sha256}: corrupted in transit")
    return extract_bytes(data, sha256, name)


def live_workers(conn) -> list[str]:
    return sorted(key.decode()[len(ALIVE_PREFIX):]
                  for key in conn.scan_iter(match=ALIVE_PREFIX + "*"))


def queue_extractor(redis_url: str):
    """The extraction function ``build_reports`` calls, sending jobs to the workers on
    ``redis_url``; None (extract locally) when no worker is alive there."""
    conn = connect(redis_url)
    if not live_workers(conn):
        print(f"no extraction worker on {redis_url}: extracting on this machine",
              file=sys.stderr, flush=True)
        return None

    def extract_all(db, db_path, todo, run_id, summary, workers, progress) -> None:
        QueueDispatcher(conn).run(db, todo, run_id, summary, progress)

    return extract_all


class QueueDispatcher:
    """Keeps a window of jobs on the queue, stores each result as it comes back, hands the
    jobs of dead workers back to RQ for a retry."""

    def __init__(self, conn, window: int | None = None):
        self.conn = conn
        self.queue = Queue(QUEUE, connection=conn)
        self.window = window or max(4, 3 * len(live_workers(conn)))
        self.last_notice = time.monotonic()

    def run(self, db, todo, run_id, summary, progress) -> None:
        from archive.reports import record_result, too_large

        pending = deque(todo)
        inflight: dict[str, tuple[str, str]] = {}
        while pending or inflight:
            while pending and len(inflight) < self.window:
                sha, name = pending.popleft()
                refusal = too_large(db, sha)
                if refusal:
                    record_result(db, sha, name, refusal, run_id, summary, progress)
                    continue
                inflight[self._enqueue(db, sha, name)] = (sha, name)
            for job_id, result in self._finished(list(inflight)):
                sha, name = inflight.pop(job_id)
                record_result(db, sha, name, result, run_id, summary, progress)
            self._requeue_orphans()
            self._notice_when_idle(len(inflight))
            time.sleep(POLL_SECONDS)

    def _enqueue(self, db, sha: str, name: str) -> str:
        data = db.execute("SELECT content FROM blobs WHERE sha256 = ?", [sha]).fetchone()[0]
        job = self.queue.enqueue(extract_job, sha, bytes(data), name, job_timeout=JOB_TIMEOUT,
                                 result_ttl=RESULT_TTL, failure_ttl=RESULT_TTL,
                                 retry=Retry(max=RETRIES), description=f"extract {name}")
        return job.id

    def _finished(self, job_ids: list[str]):
        """(job id, result dict) of the jobs that are done, successfully or not."""
        from archive.document import Document
        from archive.reports import _result

        for job_id, job in zip(job_ids, Job.fetch_many(job_ids, connection=self.conn)):
            if job is None:  # expired or deleted: Redis lost it (restarted without its data?)
                raise RuntimeError(f"extraction job {job_id} vanished from Redis")
            status = job.get_status(refresh=False)
            if status == JobStatus.FINISHED:
                result = job.return_value()
            elif status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                latest = job.latest_result()
                reason = ((latest and latest.exc_string) or status.value).strip().splitlines()
                result = _result(Document(status="converter_failed", format="",
                                          reason=f"worker failed: {reason[-1][:400]}"), None)
            else:
                continue
            job.delete()
            yield job_id, result

    def _requeue_orphans(self) -> None:
        """Started jobs whose worker is dead go to RQ's abandoned-job handling now."""
        registry = StartedJobRegistry(queue=self.queue)
        alive = set(live_workers(self.conn))
        expired = False
        for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
            try:
                job = Job.fetch(job_id, connection=self.conn)
            except NoSuchJobError:
                continue
            if job.worker_name and job.worker_name not in alive:
                print(f"extraction worker {job.worker_name} died during job {job_id} "
                      f"({job.description}): retrying it", file=sys.stderr, flush=True)
                self.conn.zadd(registry.key, {f"{job_id}:{execution_id}": 0}, xx=True)
                expired = True
        if expired:
            registry.cleanup()

    def _notice_when_idle(self, inflight: int) -> None:
        if inflight and time.monotonic() - self.last_notice > NO_WORKER_NOTICE_EVERY:
            self.last_notice = time.monotonic()
            if not live_workers(self.conn):
                print(f"{inflight} extraction jobs waiting: no extraction worker is alive",
                      file=sys.stderr, flush=True)


def run_extract_worker(redis_url: str, *, burst: bool = False, name: str | None = None) -> None:
    """Serve extraction jobs until stopped (SIGTERM: after the current job) or, with
    ``burst``, until the queue is empty."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # tesseract: faster one thread per job
    import archive.reports  # noqa: F401 — loaded once here, shared by every forked horse

    conn = connect(redis_url)
    name = name or f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
    stop = threading.Event()
    threading.Thread(target=_keep_alive, args=(conn, name, stop), daemon=True).start()
    try:
        Worker([Queue(QUEUE, connection=conn)], connection=conn, name=name).work(
            burst=burst, with_scheduler=False, logging_level="WARNING")
    finally:
        stop.set()
        conn.delete(ALIVE_PREFIX + name)


def _keep_alive(conn, name: str, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            conn.set(ALIVE_PREFIX + name, str(os.getpid()), ex=LIVENESS_TTL)
        except Exception as exc:  # noqa: BLE001 — Redis restarting: keep trying, say so
            logger.warning("cannot refresh liveness of %s: %s", name, exc)
        stop.wait(LIVENESS_EVERY)
