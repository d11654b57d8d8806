"""``paxshare screen``: match travellers against watchlists, one JSON line per candidate.

    paxshare screen --watchlist usa.csv --watchlist can.avro --travellers q.csv --out matches.jsonl \\
        [--workers 2]

Watchlists and travellers may be CSV or Avro (told apart by content). Every candidate scoring at
least ``--min-score`` is written, with whether it alerts at its category's threshold, in the
travellers' order.

``--workers N`` screens in N processes. The lists are read and the screener (index, name
tables) built once, in this process, which then screens a share itself, and N - 1 workers are
forked from it: they start at once and share the built screener's pages copy-on-write instead
of each building its own
(a big list's build itself runs on two processes: ``index.parallel_build``)
(``benchmarks/screening_scale.py`` measures the same set-up; the build is paid once and the
memory mostly once: at 1M entries each worker's own share, its PSS, is a fraction of the ~3.8 GB
a worker building its own index needs). Where processes cannot be forked, each worker builds
its own, as before. Progress goes
to standard error every few seconds on long inputs; the summary at the end says what candidate
generation had to give up (blocks too big even for a traveller's birth year, candidates the cap
dropped) and, per list, the entries useless for screening (a common name and nothing else: no
date of birth, document or nationality), for the lists' owners.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import sys
import time

__all__ = ["add_arguments", "main"]

_BATCH = 1000
_PROGRESS_EVERY_S = 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--watchlist", "-w", action="append", required=True, metavar="WL",
                        help="watchlist file (CSV or Avro); repeat for several lists")
    parser.add_argument("--travellers", "-t", action="append", required=True, metavar="Q",
                        help="travellers: CSV, ApiTraveller Avro or ApiManifest Avro; repeatable")
    parser.add_argument("--out", "-o", required=True, help="output JSON lines file ('-' for stdout)")
    parser.add_argument("--min-score", type=float, default=0.5, help="lowest score written (default 0.5)")
    parser.add_argument("--settings", help="YAML/JSON file overriding data/settings.yaml")
    parser.add_argument("--cleared", help="cleared-traveller (redress) list, CSV or JSONL")
    parser.add_argument("--trusted", help="trusted-traveller list keyed by document, CSV or JSONL")
    parser.add_argument("--alerts-only", action="store_true", help="write only candidates that alert")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="screening processes: this one and N - 1 forked, sharing one index built here (default 1)")


class _Job:
    """What one process needs to screen: the screener, built from the command's arguments."""

    def __init__(self, args: argparse.Namespace):
        from pipelines.screening.engine.index import parallel_build
        from pipelines.screening.engine.score import Screener
        from pipelines.screening.engine.settings import load_settings
        from pipelines.screening.engine.suppression import Suppressor
        from pipelines.screening.lists.cleared import load_cleared, load_trusted
        from pipelines.screening.lists.watchlist import read_watchlists
        started = time.perf_counter()
        self.settings = load_settings(args.settings)
        entries = read_watchlists(args.watchlist)
        self.entries = len(entries)
        suppressor = Suppressor(load_cleared(args.cleared) if args.cleared else (),
                                load_trusted(args.trusted) if args.trusted else ())
        with parallel_build():  # a big list's blocking arrays made in a second process meanwhile
            self.screener = Screener(entries, self.settings, suppressor)
        self.built = time.perf_counter() - started
        self.min_score, self.alerts_only = args.min_score, args.alerts_only

    def useless(self) -> dict[str, list[str]]:
        return self.screener.useless_entries()

    def screen(self, batch: list) -> tuple[int, list[str], int, int, dict[str, int]]:
        """One batch: (travellers, output lines, candidates, alerts, candidate-generation counters)."""
        from pipelines.screening.records import json_line
        before = self.screener.lookup_stats
        found = self.screener.screen_many(batch, min_score=min(self.min_score, self.settings.floor))
        lines, alerts = [], 0
        for traveller, candidates in zip(batch, found):
            for candidate in candidates:
                if candidate.score < self.min_score or (self.alerts_only and not candidate.alert):
                    continue
                alerts += candidate.alert
                lines.append(json_line(traveller, candidate))
        after = self.screener.lookup_stats
        return len(batch), lines, len(lines), alerts, {k: after[k] - before[k] for k in after}


_JOB: _Job | None = None
_JOB_ERROR: Exception | None = None


def _start_worker(args: argparse.Namespace) -> None:
    global _JOB, _JOB_ERROR
    try:
        _JOB = _Job(args)
    except (ValueError, FileNotFoundError) as error:  # ScreeningInputError is a ValueError
        _JOB_ERROR = error  # raised with the first batch, so the command reports it as it is


def _worker_screen(batch: list):
    if _JOB_ERROR is not None:
        raise _JOB_ERROR
    return _JOB.screen(batch), _JOB.built, _JOB.entries


def _batches(paths: list[str]):
    from pipelines.screening.lists.watchlist import read_travellers
    for path in paths:
        rows = read_travellers(path)
        while batch := list(itertools.islice(rows, _BATCH)):
            yield batch


def _in_process(args: argparse.Namespace, useless: dict):
    """Results per batch in order, screening here: (result, build seconds, entries)."""
    job = _Job(args)
    useless.update(job.useless())
    for batch in _batches(args.travellers):
        yield job.screen(batch), job.built, job.entries


def shared_workers():
    """The multiprocessing context for screening workers, and whether they share a screener built
    before they start: forked processes do (copy-on-write: the index's arrays are never written,
    and the build freezes its objects out of the garbage collector's reach, so their pages stay
    shared), and Python's per-process string-hash salt, which the key codes use, is inherited
    too. Where fork is unavailable, spawned workers build their own (False)."""
    import multiprocessing

    from pipelines.screening.engine.index import can_fork
    if can_fork():
        return multiprocessing.get_context("fork"), True
    return multiprocessing.get_context("spawn"), False


def _worker_useless(_):
    if _JOB_ERROR is not None:
        raise _JOB_ERROR
    return _JOB.useless()


class _Here:
    """A batch screened in this process, in the queue of the workers' futures."""

    def __init__(self, batch: list):
        self._result = _worker_screen(batch)

    def result(self):
        return self._result


def _in_workers(args: argparse.Namespace, useless: dict):
    """Results per batch in order, screened by ``args.workers`` processes: this one, once it has
    built the screener, and ``args.workers - 1`` forked from it (they share its pages:
    :func:`shared_workers`; an idle builder would keep a copy of every page the workers write to,
    a third of the memory at two workers); at most two batches a worker in flight."""
    global _JOB
    from concurrent.futures import ProcessPoolExecutor
    context, built_here = shared_workers()
    if built_here:
        _JOB = _Job(args)  # built once, before the fork: every worker inherits it
        useless.update(_JOB.useless())
        pool = ProcessPoolExecutor(args.workers - 1, mp_context=context)
    else:
        pool = ProcessPoolExecutor(args.workers, mp_context=context, initializer=_start_worker, initargs=(args,))
    with pool:
        if not built_here:
            useless.update(pool.submit(_worker_useless, None).result())  # every worker has the same lists
        pending: collections.deque = collections.deque()
        for number, batch in enumerate(_batches(args.travellers)):
            if built_here and number % args.workers == args.workers - 1:
                pending.append(_Here(batch))  # this process's share, while the others work
            else:
                pending.append(pool.submit(_worker_screen, batch))
            if len(pending) >= 2 * args.workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def main(args: argparse.Namespace) -> int:
    from concurrent.futures.process import BrokenProcessPool

    from pipelines.screening.engine.index import new_lookup_stats
    from pipelines.screening.lists.watchlist import ScreeningInputError

    if args.workers < 1:
        print("paxshare screen: --workers must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    travellers = candidates = alerts = entries = 0
    built = 0.0
    stats = new_lookup_stats()
    last_progress = started
    try:
        useless: dict[str, list[str]] = {}
        results = _in_process(args, useless) if args.workers == 1 else _in_workers(args, useless)
        out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
        try:
            for (count, lines, found, alerted, counters), built, entries in results:
                travellers += count
                candidates += found
                alerts += alerted
                for key, value in counters.items():
                    stats[key] += value
                for line in lines:
                    out.write(line + "\n")
                now = time.perf_counter()
                if now - last_progress >= _PROGRESS_EVERY_S:
                    last_progress = now
                    print(f"paxshare screen: {travellers:,} travellers screened, {alerts:,} alerts "
                          f"({travellers / (now - started):,.0f}/s since start)", file=sys.stderr, flush=True)
        finally:
            if out is not sys.stdout:
                out.close()
    except (ScreeningInputError, FileNotFoundError, ValueError) as error:
        print(f"paxshare screen: {error}", file=sys.stderr)
        return 2
    except BrokenProcessPool as error:
        print(f"paxshare screen: a worker process failed ({error}); run with --workers 1 to see why",
              file=sys.stderr)
        return 2
    workers = f" on {args.workers} workers" if args.workers > 1 else ""
    print(f"screened {travellers} travellers against {entries} entries{workers} "
          f"(index {built:.1f}s): {candidates} candidates, {alerts} alerts", file=sys.stderr)
    print(f"candidate generation: {stats['blocks_narrowed']} big name blocks narrowed by birth year, "
          f"{stats['blocks_skipped']} skipped (too big even then, or no birth year), "
          f"{stats['lookups_capped']} travellers' candidates capped ({stats['candidates_cut']} least likely "
          f"candidates not scored)", file=sys.stderr)
    if useless:
        # for the lists' owners: entries that can never alert on their own
        print("entries useless for screening (a common name and no date of birth, document or nationality): " +
              ", ".join(f"{list_id or '-'} {len(ids)} (e.g. {', '.join(ids[:3])})" for list_id, ids in sorted(useless.items())),
              file=sys.stderr)
    return 0
