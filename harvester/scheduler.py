"""The harvest scheduler: every enabled source polled on its own interval by APScheduler 3.x.

Each source is one job on a :class:`~apscheduler.schedulers.background.BackgroundScheduler` (interval trigger with
jitter, ``max_instances=1`` so a slow poll is never overlapped, ``coalesce=True`` so missed runs collapse into one).
A job runs :meth:`HarvestRunner.run_once`, which never raises for a source's failure; on failure the job moves its
own next run to ``now + backoff`` (``interval * 2^(failures-1)``, capped at ``harvester.failure_backoff_max_s``, or
the provider's ``retry_after`` when it named one). Other sources are not affected: each job has its own runner,
producer and thread. When a poll stopped at its page bound with more waiting, the next one comes soon.

:meth:`HarvestScheduler.stop` asks every runner to stop after the page in hand (flushed and saved), waits for the
polls in hand up to a timeout, then closes the runners.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from harvester.runner import HarvestRunner, PollReport

log = logging.getLogger("jemput.harvester.scheduler")

#: Delay before the next poll when the last one stopped at its page bound with more waiting.
MORE_WAITING_DELAY_S = 1.0


@dataclass
class SourceJob:
    runner: HarvestRunner
    interval_s: float
    jitter_s: float = 0.0
    #: No poll before this time (backoff after failures, a provider's retry_after).
    not_before: datetime | None = None
    running: bool = False
    #: run_now() was asked while a poll was in hand: poll again as soon as it ends.
    rerun_requested: bool = False
    runs: int = 0
    last_report: PollReport | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.runner.name


def backoff_delay(interval_s: float, failures: int, max_s: float, retry_after: float | None = None,
                  rng: random.Random | None = None) -> float:
    """Seconds until the next poll of a source that failed ``failures`` times in a row."""
    if retry_after is not None:
        return max(retry_after, 0.0)  # the provider said when; coming back earlier only earns another refusal
    base = min(max_s, max(interval_s, 1.0) * (2 ** max(0, failures - 1)))
    jitter = (rng or random).uniform(-0.1, 0.1) * base
    return max(0.0, min(max_s, base + jitter))


class HarvestScheduler:
    """Runs one job per source; see the module docstring."""

    def __init__(
        self,
        jobs: list[SourceJob],
        *,
        failure_backoff_max_s: float = 900.0,
        stop_event: threading.Event | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        names = [j.name for j in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate source names: {names}")
        self.jobs = {j.name: j for j in jobs}
        self.failure_backoff_max_s = failure_backoff_max_s
        self.stop_event = stop_event or threading.Event()
        for j in jobs:
            j.runner.stop_event = self.stop_event
        self._now = now
        self._lock = threading.Condition()
        self._rng = random.Random()
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=max(1, len(jobs)))},
            job_defaults={"max_instances": 1, "coalesce": True},
            timezone=UTC,
        )
        self.started_at: datetime | None = None

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> HarvestScheduler:
        now = self._now()
        for job in self.jobs.values():
            self._scheduler.add_job(
                self._run_job,
                IntervalTrigger(seconds=job.interval_s, jitter=job.jitter_s or None, timezone=UTC),
                args=[job.name],
                id=job.name,
                name=f"harvest {job.name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(30, int(job.interval_s)),
                # First poll soon after start, spread by the jitter so sources do not all start at once.
                next_run_time=now + timedelta(seconds=self._rng.uniform(0, job.jitter_s) if job.jitter_s else 0),
            )
        self._scheduler.start()
        self.started_at = now
        log.info("harvest scheduler started: %s", ", ".join(
            f"{j.name} every {j.interval_s:g}s" for j in self.jobs.values()) or "no sources")
        return self

    def stop(self, timeout_s: float = 60.0) -> bool:
        """Stop after the polls in hand; close every runner. Returns False when a poll was still running at the
        timeout (its runner is then left open: it is still using its producer)."""
        self.stop_event.set()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        deadline = self._now() + timedelta(seconds=timeout_s)
        with self._lock:
            while any(j.running for j in self.jobs.values()):
                left = (deadline - self._now()).total_seconds()
                if left <= 0:
                    break
                self._lock.wait(min(left, 0.5))
            busy = [j.name for j in self.jobs.values() if j.running]
        for job in self.jobs.values():
            if job.name not in busy:
                job.runner.close()
        if busy:
            log.warning("harvest scheduler: polls still running at shutdown: %s", ", ".join(busy))
            return False
        log.info("harvest scheduler stopped")
        return True

    # -- one job --------------------------------------------------------------------------------------
    def _run_job(self, name: str) -> None:
        job = self.jobs[name]
        now = self._now()
        if self.stop_event.is_set():
            return
        if job.not_before is not None and now < job.not_before:
            return  # backing off; the job's next run was moved, this is a regular tick that came first
        with self._lock:
            job.running = True
        try:
            report = job.runner.run_once()
        except Exception:  # noqa: BLE001 - run_once records source failures; this is a bug, keep the others going
            log.exception("source %s: the harvest runner failed", name)
            report = None
        finally:
            with self._lock:
                job.running = False
                job.runs += 1
                self._lock.notify_all()
        job.last_report = report
        if self.stop_event.is_set():
            return
        if report is None or not report.ok:
            failures = report.consecutive_failures if report else 1
            delay = backoff_delay(job.interval_s, failures, self.failure_backoff_max_s,
                                  report.retry_after if report else None, self._rng)
            job.not_before = self._now() + timedelta(seconds=delay)
            log.warning("source %s failed %d time(s) in a row; next poll in %.1fs", name, failures, delay)
            self._reschedule(name, job.not_before)
        else:
            job.not_before = None
            if job.rerun_requested:
                job.rerun_requested = False
                self._reschedule(name, self._now())
            elif report.more_waiting:
                self._reschedule(name, self._now() + timedelta(seconds=min(job.interval_s, MORE_WAITING_DELAY_S)))

    def _reschedule(self, name: str, when: datetime) -> None:
        try:
            self._scheduler.modify_job(name, next_run_time=when)
        except Exception as exc:  # noqa: BLE001 - shutting down, or the job is gone
            log.debug("source %s: cannot reschedule: %s", name, exc)

    def run_now(self, name: str) -> None:
        """Poll ``name`` as soon as possible (ignores its backoff); right after the poll in hand if there is one."""
        job = self.jobs[name]
        job.not_before = None
        with self._lock:
            if job.running:
                job.rerun_requested = True
                return
        self._reschedule(name, self._now())

    # -- status ---------------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"running": self._scheduler.running and not self.stop_event.is_set(), "sources": {}}
        for name, job in self.jobs.items():
            sched_job = self._scheduler.get_job(name) if self._scheduler.running else None
            r = job.last_report
            out["sources"][name] = {
                "channel": job.runner.channel,
                "interval_s": job.interval_s,
                "polling": job.running,
                "runs": job.runs,
                "next_poll": sched_job.next_run_time.isoformat() if sched_job and sched_job.next_run_time else None,
                "backoff_until": job.not_before.isoformat() if job.not_before else None,
                "last_poll_ok": None if r is None else r.ok,
                "last_error": None if r is None else r.error,
                "consecutive_failures": 0 if r is None else r.consecutive_failures,
            }
        return out

    @property
    def healthy(self) -> bool:
        """False when every source is failing (one failing source among healthy ones is a warning, not down)."""
        reports = [j.last_report for j in self.jobs.values() if j.last_report is not None]
        return not reports or any(r.ok for r in reports)
