"""Screening speed: index build time, peak memory and travellers/s against growing watchlists.

    .venv/bin/python benchmarks/screening_speed.py --sizes 10000,100000,1000000 --travellers 20000 --workers 2

Each size runs in a fresh subprocess (so peak memory is that size's own): synthetic entries
(:func:`pipelines.generate.synthetic.fake_entries`: names from the generator's culture tables,
culture-weighted, Zipf within a culture, long tail of rare surnames; see that module) are indexed
once (``index_build_s``: the candidate index and the compiled pre-scoring's tables;
``first_call_s``: numba compiling the kernels, cached on disk afterwards), then synthetic
travellers (same name distribution, other seeds) are screened the way the Beam transform screens
them (batches of 1,000, ``min_score`` = the lowest alert threshold):

* ``first_pass_per_s``: the first travellers after start-up (every cache empty);
* ``single_process_per_s``: as many *other* travellers, one process (steady state: the caches
  hold the first pass's names, so common names are cached and rare ones are new, as in a running
  job; never the same travellers twice);
* ``<workers>_process_per_s``: other travellers again, shared out between ``--workers`` worker
  processes screening at the same time, each a fresh (spawned) process with its own index built
  from scratch, all building at once (as Beam workers do: ``worker_build_s``, ``peak_worker_mb``)
  and warmed up on its share of the first travellers;
* ``floor_per_s``: the steady-state pass again when every candidate down to the settings' floor
  (0.50) is wanted, as ``paxshare screen --min-score 0.5`` does.

``scored_per_traveller`` is how many entries reach the Python engine's full name comparison;
``*_per_cpu_s`` divide by the process's CPU time instead of wall time (on a shared machine the
steadier figure). Peak memory: ``peak_rss_mb`` (the process that built the index).
Targets (issue): 1M entries, >= 10,000 travellers/s on 2 cores, index < 60 s, peak < 4 GB.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.per_size import run_sizes  # noqa: E402

_SCREENER = None


def _travellers(n: int, seed: int):
    from pipelines.generate.synthetic import fake_manifests
    from pipelines.screening.lists.watchlist import traveller_from_api
    out = []
    per = 100
    for manifest in fake_manifests((n + per - 1) // per, per, seed=seed):
        for person in manifest["persons"]:
            out.append(traveller_from_api({"traveller_id": f"{manifest['message_id']}/{person['person_id']}", "person": person}))
    return out[:n]


def _screen_chunk(chunk, floor=False, batch=1000):
    """Screen in batches of ``batch`` travellers, as the Beam transform does (``screen_many``)."""
    alerts = candidates = alerting = 0
    min_score = None if floor else _SCREENER.lowest_threshold
    for start in range(0, len(chunk), batch):
        for found in _SCREENER.screen_many(chunk[start:start + batch], min_score=min_score):
            candidates += len(found)
            hits = sum(c.alert for c in found)
            alerts += hits
            alerting += hits > 0
    return candidates, alerts, alerting


def _independent_worker(size, first, other, barrier, results) -> None:
    """A fresh process (spawned, as an SDK worker starts: nothing inherited from the parent): reads
    its list (here: generates the same entries), builds its own index, warms up, then screens."""
    global _SCREENER
    from pipelines.screening.engine.score import Screener
    from pipelines.generate.synthetic import fake_entries
    entries = list(fake_entries(size, seed=7))
    barrier.wait()  # every worker builds at the same time, as a job's workers start together
    started = time.perf_counter()
    _SCREENER = Screener(entries)
    built = time.perf_counter() - started
    _screen_chunk(first)
    barrier.wait()
    started = time.perf_counter()
    _screen_chunk(other)
    results.put((time.perf_counter() - started, built, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def run_one(size: int, n_travellers: int, workers: int) -> dict:
    global _SCREENER
    from pipelines.screening.engine.score import Screener
    from pipelines.generate.synthetic import fake_entries
    started = time.perf_counter()
    entries = list(fake_entries(size, seed=7))
    generated = time.perf_counter() - started
    started = time.perf_counter()
    _SCREENER = Screener(entries)
    build = time.perf_counter() - started
    # numba compiles the kernels on first use (cached on disk afterwards): timed apart
    started = time.perf_counter()
    _SCREENER.screen_many(_travellers(10, seed=5))
    warmup = time.perf_counter() - started
    first = _travellers(n_travellers, seed=99)
    started, cpu = time.perf_counter(), time.process_time()
    _screen_chunk(first)
    first_s, first_cpu = time.perf_counter() - started, time.process_time() - cpu
    # steady state: other travellers, after the first pass filled the caches (common names are
    # cached, rare ones are new, as in a running job); never the same travellers again
    travellers = _travellers(n_travellers, seed=100)
    _SCREENER.names_compared = 0
    started, cpu = time.perf_counter(), time.process_time()
    candidates, alerts, alerting = _screen_chunk(travellers)
    single, single_cpu = time.perf_counter() - started, time.process_time() - cpu
    scored = _SCREENER.names_compared
    started, cpu = time.perf_counter(), time.process_time()
    floor_candidates, _, _ = _screen_chunk(travellers, floor=True)
    floor_single, floor_cpu = time.perf_counter() - started, time.process_time() - cpu
    result = {"entries": size, "postings": _SCREENER.index.postings, "generate_s": round(generated, 1),
              "index_build_s": round(build, 1), "first_call_s": round(warmup, 1), "travellers": n_travellers,
              "first_pass_per_s": round(n_travellers / first_s), "first_pass_per_cpu_s": round(n_travellers / first_cpu),
              "single_process_per_s": round(n_travellers / single),
              "single_process_per_cpu_s": round(n_travellers / single_cpu), "alerts": alerts,
              "alerting_travellers_share": round(alerting / n_travellers, 4),
              "scored_per_traveller": round(scored / n_travellers, 2),
              "floor_per_s": round(n_travellers / floor_single),
              "floor_per_cpu_s": round(n_travellers / floor_cpu),
              "floor_candidates_per_traveller": round(floor_candidates / n_travellers, 2)}
    if workers > 1:
        # as Beam runs it: each worker process builds its own index (no memory shared), warms up on
        # its share of the first travellers, then all screen their share of new travellers at once
        first_shares = [first[i::workers] for i in range(workers)]
        other = _travellers(n_travellers, seed=101)
        other_shares = [other[i::workers] for i in range(workers)]
        _SCREENER = None
        del entries
        gc.collect()
        # spawned, not forked: a forked child would count the parent's pages (its list and
        # screener) in its own peak memory
        context = multiprocessing.get_context("spawn")
        barrier, results = context.Barrier(workers), context.Queue()
        processes = [context.Process(target=_independent_worker,
                                     args=(size, first_shares[i], other_shares[i], barrier, results))
                     for i in range(workers)]
        for process in processes:
            process.start()
        outcomes = [results.get() for _ in processes]
        for process in processes:
            process.join()
        result[f"{workers}_process_per_s"] = round(n_travellers / max(elapsed for elapsed, _, _ in outcomes))
        result["worker_build_s"] = round(max(built for _, built, _ in outcomes), 1)
        result["peak_worker_mb"] = round(max(peak for _, _, peak in outcomes))
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--travellers", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(REPO / "bench-out" / "screening_speed.json"))
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.travellers, args.workers)))
        return 0
    rows = run_sizes(__file__, [int(s) for s in args.sizes.split(",")],
                     ["--travellers", str(args.travellers), "--workers", str(args.workers)], args.out)
    return rows if isinstance(rows, int) else 0


if __name__ == "__main__":
    sys.exit(main())
