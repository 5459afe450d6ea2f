"""The receiver's counters as Prometheus metrics (``GET /metrics``).

`registry_for(platform)` gives the process's own `CollectorRegistry` (one per platform,
never prometheus_client's global one, so tests and embedded apps do not share series):
`PlatformCollector`, which reads the receiver's, writer's and guard's counters at scrape
time (nothing is added to the packet path but the commit timing, `ingest.writer.CommitTimes`),
and the library's `ProcessCollector` (``process_cpu_seconds_total``,
``process_resident_memory_bytes``, …).

**Labels are bounded.** Nothing a peer chooses (an MN, an address, a QN) is ever a label:
the labels are verdicts (`store.VERDICTS`), reasons the receiver names itself (a field
name, a refusal reason), worker numbers and guard events; a reason family holds at most
`MAX_REASONS` values, the rest summed as ``other``.

**Receiver workers** (``--workers N``, `ingest.workers`): each worker reports its
`ReceiverStats` to the parent every second and the parent sums them, so the counters here
are the whole receiver's; the parent owns the writer, so commit latency and queue depth
are exact; each worker's CPU and RSS are read from /proc (``envmon_worker_*{worker="k"}``).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.process_collector import ProcessCollector

from envmon.store.models import VERDICTS

__all__ = ["CONTENT_TYPE_LATEST", "MAX_REASONS", "PlatformCollector", "registry_for",
           "render"]

MAX_REASONS = 32
"""Values of one reason label at most; more are summed as ``other`` (a bound, whatever a
peer sends)."""

_registries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_bare: CollectorRegistry | None = None  # a process without a platform (the web app alone)


def registry_for(platform: Any | None) -> CollectorRegistry:
    """The registry of `platform` (made on first use), or the process-only one for None."""
    global _bare
    if platform is None:
        if _bare is None:
            _bare = CollectorRegistry(auto_describe=True)
            ProcessCollector(registry=_bare)
        return _bare
    registry = _registries.get(platform)
    if registry is None:
        registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=registry)
        registry.register(PlatformCollector(platform))
        _registries[platform] = registry
    return registry


def render(platform: Any | None) -> bytes:
    """The Prometheus text exposition of `platform`'s registry."""
    return generate_latest(registry_for(platform))


def bounded(counts: Mapping[str, int], most: int = MAX_REASONS) -> dict[str, int]:
    """`counts` with at most `most` keys: the largest `most - 1`, the rest as ``other``."""
    if len(counts) <= most:
        return {str(k): int(v) for k, v in counts.items()}
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    kept = {str(k): int(v) for k, v in ranked[:most - 1]}
    kept["other"] = kept.get("other", 0) + sum(int(v) for _, v in ranked[most - 1:])
    return kept


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


def _labelled(kind: type, name: str, doc: str, label: str,
              values: Mapping[str, float]) -> Metric:
    family = kind(name, doc, labels=[label])
    for key, value in values.items():
        family.add_metric([key], value)
    return family


class PlatformCollector:
    """The counters of one `app.Platform` (its receiver, writer, guard, back-fill)."""

    def __init__(self, platform: Any) -> None:
        self.platform = platform

    def describe(self) -> list:
        return []  # families are known only at scrape time (collect)

    def collect(self) -> Iterator[Metric]:
        platform = self.platform
        receiver = getattr(platform, "receiver", None)
        if receiver is None:
            return
        stats = receiver.stats
        admission = stats.admission
        yield GaugeMetricFamily("envmon_connections", "Open HJ 212 connections.",
                                value=stats.connections)
        yield _counter("envmon_connections_opened", "HJ 212 connections admitted.",
                       stats.connections_total)
        discarded = sum(n for key, n in admission.quarantined.items()
                        if key.startswith("discarded"))
        by_verdict = dict.fromkeys(VERDICTS, 0)
        by_verdict.update(accepted=stats.accepted, rejected=sum(stats.rejected.values()),
                          discarded=discarded)
        yield _labelled(CounterMetricFamily, "envmon_packets",
                        "HJ 212 packets by what the receiver did with them (store.VERDICTS).",
                        "verdict", by_verdict)
        yield _labelled(CounterMetricFamily, "envmon_packets_rejected",
                        "Rejected packets by reason (the field judged wrong).", "reason",
                        bounded(stats.rejected))
        yield _counter("envmon_discarded_bytes", "Bytes discarded as unframeable.",
                       stats.discarded_bytes)
        yield _counter("envmon_answers", "Answers sent (each after its commit).",
                       stats.answers)
        yield _labelled(CounterMetricFamily, "envmon_connections_closed",
                        "Connections the receiver closed, by why.", "why",
                        {"idle": stats.closed_idle, "abuse": stats.closed_abuse})
        yield _labelled(CounterMetricFamily, "envmon_admission_refused",
                        "Connections refused by admission (ingest.admission), by reason.",
                        "reason", bounded(admission.refused))
        yield _counter("envmon_accept_errors", "accept() failures (out of file descriptors).",
                       admission.accept_errors)
        yield _labelled(CounterMetricFamily, "envmon_throttled",
                        "Times a connection's reading was paused by a rate budget.",
                        "budget", bounded(admission.throttled))
        guard = getattr(stats, "guard", {}) or {}
        yield _counter("envmon_lockouts", "Lockouts after repeated wrong passwords "
                       "(ingest.guard).", guard.get("lockouts", 0))
        yield _counter("envmon_wrong_passwords", "Packets with a wrong password.",
                       guard.get("wrong_password", 0))
        yield _counter("envmon_guard_refused", "Connections refused by a lockout or an "
                       "allow-list.", guard.get("refused", 0))
        yield _counter("envmon_takeovers", "An MN's live connection taken over by another.",
                       guard.get("takeovers", 0))
        locks = getattr(getattr(receiver, "guard", None), "locks", None)
        if locks is not None:
            yield GaugeMetricFamily("envmon_lockouts_held", "Lockouts held in this process "
                                    "(some may have run out and not been looked at yet).",
                                    value=len(locks))
        yield from self._writer(receiver.writer)
        backfill = getattr(platform, "backfill", None)
        yield _counter("envmon_backfill_requests", "Back-fill (补遗) requests sent to units.",
                       getattr(backfill, "requests_sent", 0) if backfill is not None else 0)
        yield from _workers(receiver)

    @staticmethod
    def _writer(writer: Any) -> Iterator[Metric]:
        yield GaugeMetricFamily("envmon_writer_queue_depth",
                                "Packets waiting for the next group commit.",
                                value=writer.pending)
        yield GaugeMetricFamily("envmon_writer_failed", "1 once the store takes no writes "
                                "(serve then exits 75 for a supervisor to restart it).",
                                value=1 if getattr(writer, "failure", None) else 0)
        yield _counter("envmon_commits", "Group commits.", getattr(writer, "commits", 0))
        yield _counter("envmon_committed_packets", "Packets committed.",
                       writer.committed_packets)
        yield _counter("envmon_commit_failures", "Failed commit attempts.",
                       getattr(writer, "failures", 0))
        yield _counter("envmon_dropped_packets", "Packets of groups dropped unanswered after "
                       "failed commits (their units re-send them).",
                       getattr(writer, "dropped_packets", 0))
        times = getattr(writer, "commit_times", None)
        if times is not None:
            yield HistogramMetricFamily("envmon_commit_seconds",
                                        "Duration of a group commit (ingest.writer).",
                                        buckets=times.cumulative(), sum_value=times.sum)


def _workers(receiver: Any) -> Iterator[Metric]:
    """CPU and RSS of each receiver worker process (``--workers N``), read from /proc."""
    processes = getattr(receiver, "_processes", None)
    if not processes:
        return
    cpu = CounterMetricFamily("envmon_worker_cpu_seconds", "CPU time of a receiver worker.",
                              labels=["worker"])
    rss = GaugeMetricFamily("envmon_worker_resident_memory_bytes",
                            "Resident memory of a receiver worker.", labels=["worker"])
    for k, process in enumerate(processes):
        usage = proc_usage(process.pid)
        if usage is not None:
            cpu.add_metric([str(k)], usage[0])
            rss.add_metric([str(k)], usage[1])
    yield cpu
    yield rss


def proc_usage(pid: int | None) -> tuple[float, int] | None:
    """(CPU seconds, resident bytes) of a live process from /proc (Linux), else None."""
    import os

    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            fields = file.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    # proc(5): utime and stime are fields 14 and 15, rss (pages) field 24; after the
    # ")" that ends the command name, field 3 is at index 0.
    return ((int(fields[11]) + int(fields[12])) / ticks,
            int(fields[21]) * os.sysconf("SC_PAGE_SIZE"))
