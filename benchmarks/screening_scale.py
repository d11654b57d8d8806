"""Screening quality at national-list scale: the same travellers against 10k, 100k and 1M entries.

    .venv/bin/python benchmarks/screening_scale.py --sizes 10000,100000,1000000 --travellers 20000 \\
        --per-variant 50 --workers 2

The list (:mod:`pipelines.generate.watchlist_scale`) is built like a real consolidated list:
namesakes by the hundred for common names, 10% of person entries without a date of birth, 15%
with a year only, entries given only as a full name or only in their original script, lost and
stolen documents, the same person on several partners' lists. Each size is a subset of the next
(the same fillers, the same planted entries), so the curve shows what size alone does.

Per size, in a fresh process, the list is loaded and the screener built once (its blocking
arrays in a second process meanwhile: ``index.parallel_build``); that process is one of the
``--workers`` and the others are forked from it (as ``paxshare screen --workers`` does: they share
the built screener's pages); each warms up on other travellers, then screens its share.
``--build-per-worker``: spawned workers each load the list and build their own index at the same
time instead (a Beam worker's set-up, and the benchmark before the shared build):

* **speed**: at the lowest alert threshold (what the Beam transform asks for), in batches of
  1,000; travellers/s over all workers (on a shared machine: compare runs made close together);
* **quality**: at ``--min-score`` (0.70), every candidate kept:
  * ``recall`` per planted variant: the planted entry among the traveller's alerts (``alert``)
    or at >= min-score (``at_min``); ``retrieved``: the index offered the entry at all;
    ``true_score``: the entry's score when scored directly (what the traveller *would* get if
    candidate generation never lost it); misses are classified (no shared key, blocks over
    their size limit, cut by the candidate cap, birth-year filter, scored under the threshold);
  * ``non_listed_alerting``: ordinary travellers with an alert, and among them those who share
    name and full date of birth with a listed person (``coincidences``: indistinguishable on
    these fields), and the share left without them; what kind of evidence their top alert had;
  * ``candidates_per_traveller``: entries the index retrieves (the reference look-up), entries
    the Python engine scores in full, candidates at >= min-score; how often the cap was hit;
* **build** seconds (the one shared build, or the slowest worker's own) and **memory** per
  worker: the peak resident set (``peak_worker_mb``, which counts pages shared with the builder
  and the other workers in full), and the proportional set (PSS: each shared page divided among
  the processes sharing it, so the processes' PSS add up to the memory really used):
  ``worker_pss_mb`` is every process's PSS summed (the workers', and the benchmark's own
  process when it is not one of them), divided by the workers, at the end of the run (pages only get unshared as a worker runs); ``worker_uss_mb`` the largest
  worker's own pages. The 4 GB target is read against the PSS share: it is what each worker
  costs the machine.

``candidate_generation``: the screener's own counters for the quality pass (big blocks narrowed
by birth year, blocks skipped, travellers whose candidates the cap cut, candidates cut).

Lists are cached under ``--cache`` (pickles keyed by seed and size). Not part of CI; a scaled-down
version runs as a test (``tests/screening/test_screening_scale_benchmark.py``: 100k entries, no
planted match that scores above its threshold may be lost by candidate generation).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import pickle
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.per_size import run_sizes  # noqa: E402

_BATCH = 1000


def _lists(world, size: int, cache: Path) -> tuple[Path, dict]:
    """The list of ``size`` entries as a pickle (made once), and its persons' (identity, date)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"list-{world.seed}-{world.per_variant}-{size}.pickle"
    people_path = cache / f"people-{world.seed}-{world.per_variant}-{size}.pickle"
    if path.exists() and people_path.exists():
        with open(people_path, "rb") as handle:
            return path, pickle.load(handle)
    entries, people = world.entries(size)
    with open(path.with_suffix(".tmp"), "wb") as handle:
        pickle.dump(entries, handle, protocol=pickle.HIGHEST_PROTOCOL)
    path.with_suffix(".tmp").rename(path)
    with open(people_path, "wb") as handle:
        pickle.dump(people, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path, people


def _miss_reason(screener, traveller, form, dob, position: int, min_score: float) -> str:
    """Why the index did not offer the planted entry (reference rules, string keys)."""
    import numpy as np

    from pipelines.screening.engine.index import entry_keys
    from pipelines.screening.engine.compiled.keycodes import code_of
    index = screener.index
    keys, starts, postings = index.blocks()
    shared = index.query_keys((form,) if form else (), traveller.documents) & \
        entry_keys(index.forms[position], index.docs[position], index.rules)
    if not shared:
        return "no shared key"
    window = screener._year_window(min_score) if dob is not None else None
    over = 0
    for key in shared:
        code = code_of(key)
        slot = int(np.searchsorted(keys, code))
        if slot >= keys.size or keys[slot] != code:
            continue
        found = postings[starts[slot]:starts[slot + 1]]
        if window is not None and key[0] not in "DX" and found.size > 8:
            near = (index.year_lo[found] <= dob[0] + window) & (index.year_hi[found] >= dob[0] - window)
            found = found[near]
        limit = index.max_initial_block if key[0] == "I" else index.max_block
        if position not in set(found.tolist()):
            continue
        if found.size <= limit:
            return "cut by the candidate cap"
        over += 1
    return "every shared block over its size limit" if over else "birth-year filter"


#: (entries, screener, build seconds) built before the workers are forked (the shared build)
_SHARED: tuple | None = None


def _build(list_path, parallel: bool = False):
    """Load the list and build a screener (``parallel``: in a ``parallel_build``, as ``paxshare
    screen`` builds before it forks its workers)."""
    import contextlib

    from pipelines.screening.engine.index import parallel_build
    from pipelines.screening.engine.score import Screener
    with open(list_path, "rb") as handle:
        entries = pickle.load(handle)
    started = time.perf_counter()
    with parallel_build() if parallel else contextlib.nullcontext():
        screener = Screener(entries)
    return entries, screener, time.perf_counter() - started


def _memory_mb() -> dict:
    """This process's resident set, proportional set (shared pages divided among the processes
    sharing them) and unique set, MB."""
    import psutil
    info = psutil.Process().memory_full_info()
    return {"rss": info.rss / 2**20, "pss": info.pss / 2**20, "uss": info.uss / 2**20}


def _worker(list_path, warm, mine, min_score, want_diagnostics, barrier, results, done, every_row=False) -> None:
    """One worker: (forked) take the screener built before the fork, or (spawned) load the list and
    build its own; warm up, time the alert pass, then the quality pass. ``every_row``: each row
    also lists every candidate of both passes (entry, score, alert, explanation), so that two runs
    can be compared candidate by candidate (``--rows-out``)."""
    from pipelines.screening.normalise.dates import parse_date
    from pipelines.screening.normalise.names import name_form
    from pipelines.screening.lists.watchlist import traveller_from_api
    barrier.wait()
    if _SHARED is not None:
        entries, screener, built = _SHARED
    else:
        entries, screener, built = _build(list_path)
    rss_built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cutoff = screener.lowest_threshold
    warm_t = [traveller_from_api(r) for r in warm]
    for start in range(0, len(warm_t), _BATCH):
        screener.screen_many(warm_t[start:start + _BATCH], min_score=cutoff)
    travellers = [traveller_from_api(r) for r, _ in mine]
    barrier.wait()
    started = time.perf_counter()
    alert_pass = []
    for start in range(0, len(travellers), _BATCH):
        alert_pass.extend(screener.screen_many(travellers[start:start + _BATCH], min_score=cutoff))
    elapsed = time.perf_counter() - started
    # quality pass: every candidate down to min_score
    screener.names_compared = 0
    stats_before = screener.lookup_stats
    found = []
    for start in range(0, len(travellers), _BATCH):
        found.extend(screener.screen_many(travellers[start:start + _BATCH], min_score=min_score))
    scored = screener.names_compared
    lookup = {k: v - stats_before[k] for k, v in screener.lookup_stats.items()} if hasattr(screener, "lookup_stats") else {}
    position_of = {}
    if want_diagnostics:
        position_of = {e["entry_id"]: p for p, e in enumerate(entries) if e["entry_id"].startswith("P")}
    rows = []
    window_of = {}
    for traveller, (record, planted_id), candidates in zip(travellers, mine, found):
        form = name_form(traveller.surname, traveller.given_names, traveller.full_name)
        dob = parse_date(traveller.date_of_birth)
        window = window_of.setdefault(min_score, screener._year_window(min_score)) if dob is not None else None
        # the reference look-up, as the Python engine asks it (the compiled one returns the same)
        retrieved = screener.index.candidates((form,) if form else (), traveller.documents, dob, window,
                                              screener._dob_adjust, screener._missing_prior(form))
        top = next((c for c in candidates if c.alert), None)
        row = {"id": traveller.traveller_id, "retrieved": len(retrieved), "at_min": len(candidates),
               "alerts": sum(c.alert for c in candidates),
               "top": None if top is None else {"entry_id": top.entry_id, "score": top.score,
                                                "dated": "date_of_birth:" in top.explanation,
                                                "document": "document:" in top.explanation,
                                                "text": top.explanation}}
        if every_row:
            row["candidates"] = {name: [[c.entry_id, c.score, c.alert, c.explanation] for c in found_]
                                 for name, found_ in (("alert_pass", alert_pass[len(rows)]), ("min_score", candidates))}
        if planted_id is not None:
            mine_c = next((c for c in candidates if c.entry_id == planted_id), None)
            row["planted"] = {"score": None if mine_c is None else mine_c.score,
                              "alert": bool(mine_c and mine_c.alert)}
            position = position_of.get(planted_id)
            if position is not None:
                direct = screener._score(traveller, form, dob, traveller.nationality, position, 0.0, None)
                row["planted"]["true_score"] = direct.score if direct else 0.0
                row["planted"]["true_alert"] = bool(direct and direct.score >= direct.threshold)
                row["planted"]["retrieved"] = position in set(retrieved)
                if not row["planted"]["retrieved"]:
                    row["planted"]["why"] = _miss_reason(screener, traveller, form, dob, position, min_score)
        rows.append(row)
    results.put({"elapsed": elapsed, "built": built, "scored": scored, "rows": rows, "lookup": lookup,
                 "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "built_mb": rss_built,
                 "memory": _memory_mb(), "postings": screener.index.postings})
    done.wait()  # alive until every process's memory is measured (the pages they share)


def run_one(size: int, args) -> dict:
    from pipelines.generate.watchlist_scale import ScaleWorld
    world = ScaleWorld(seed=args.seed, per_variant=args.per_variant, travellers=args.travellers + args.warm)
    started = time.perf_counter()
    list_path, people = _lists(world, size, Path(args.cache))
    prepared_s = time.perf_counter() - started
    ordinary = world.ordinary_travellers()
    warm, ordinary = ordinary[:args.warm], ordinary[args.warm:]
    coincident = ScaleWorld.coincidences(ordinary, people)
    del people
    planted = world.planted()
    variant_of = {record["traveller_id"]: variant for record, _, variant in planted}
    # every traveller with what it was planted for (None: ordinary), interleaved so that each
    # worker gets its share of both kinds
    everyone = [(record, None) for record, _, _ in ordinary] + [(record, entry["entry_id"]) for record, entry, _ in planted]
    everyone.sort(key=lambda item: item[0]["traveller_id"][::-1])
    shares = [everyone[i::args.workers] for i in range(args.workers)]
    warm_shares = [[r for r, _, _ in warm[i::args.workers]] for i in range(args.workers)]
    global _SHARED
    if args.build_per_worker:
        context = multiprocessing.get_context("spawn")
    else:
        from pipelines.screening.cli import shared_workers
        context, shared = shared_workers()
        if shared:
            _SHARED = _build(str(list_path), parallel=True)  # once, before the fork: every worker inherits it
    # with a shared build this process is the last worker (as paxshare screen does), the others forked
    here = _SHARED is not None
    forked = args.workers - 1 if here else args.workers
    barrier, results, done = context.Barrier(args.workers), context.Queue(), context.Barrier(args.workers + (not here))
    work = [(str(list_path), warm_shares[i], shares[i], args.min_score, True, barrier, results, done,
             bool(args.rows_out)) for i in range(args.workers)]
    processes = [context.Process(target=_worker, args=work[i]) for i in range(forked)]
    for process in processes:
        process.start()
    if here:
        _worker(*work[-1])  # waits for every worker's memory to be measured
        builder = {"pss": 0.0}  # measured as a worker
    outcomes = [results.get() for _ in range(args.workers)]
    if not here:
        builder = _memory_mb()  # this process's own share (the workers built their own)
        done.wait()
    for process in processes:
        process.join()
    _SHARED = None
    rows = [row for outcome in outcomes for row in outcome["rows"]]
    n = len(rows)
    if args.rows_out:
        with open(f"{args.rows_out}-{size}.json", "w") as handle:
            json.dump([dict(row, variant=variant_of.get(row["id"]), coincidence=row["id"] in coincident)
                       for row in rows], handle)
    # planted recall per variant
    per_variant: dict[str, Counter] = defaultdict(Counter)
    why: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        if "planted" not in row:
            continue
        variant, p = variant_of[row["id"]], row["planted"]
        for group in (variant, "all planted"):
            c = per_variant[group]
            c["n"] += 1
            c["alert"] += p["alert"]
            c["at_min"] += p["score"] is not None
            c["retrieved"] += bool(p.get("retrieved"))
            c["true_alert"] += bool(p.get("true_alert"))
            c["true_at_min"] += p.get("true_score", 0.0) >= args.min_score
            if not p["alert"]:
                reason = p.get("why") or ("scored under the threshold" if p.get("retrieved") else "not found")
                why[group][reason] += 1
    recall = {group: {"n": c["n"], "alert": round(c["alert"] / c["n"], 3), "at_min": round(c["at_min"] / c["n"], 3),
                      "retrieved": round(c["retrieved"] / c["n"], 3), "true_alert": round(c["true_alert"] / c["n"], 3),
                      "true_at_min": round(c["true_at_min"] / c["n"], 3), "misses": dict(why[group])}
              for group, c in sorted(per_variant.items())}
    ordinary_rows = [row for row in rows if "planted" not in row]
    alerting = [row for row in ordinary_rows if row["alerts"]]
    coincidences = [row for row in alerting if row["id"] in coincident]
    evidence = Counter()
    for row in alerting:
        top = row["top"]
        evidence["document" if top["document"] else "name and date" if top["dated"] else "name only (no date on one side)"] += 1
    examples = [row["top"]["text"].split("\n")[0] + f" [{row['top']['score']}]"
                for row in alerting if row["id"] not in coincident and not row["top"]["dated"]][:8]
    elapsed = max(o["elapsed"] for o in outcomes)
    return {
        "entries": size, "travellers": n, "ordinary": len(ordinary_rows), "planted": n - len(ordinary_rows),
        "min_score": args.min_score, "list_prepared_s": round(prepared_s, 1),
        "workers": args.workers, "per_s": round(n / elapsed), "build_s": round(max(o["built"] for o in outcomes), 1),
        "shared_build": not args.build_per_worker,
        "peak_worker_mb": round(max(o["peak_mb"] for o in outcomes)),
        "worker_pss_mb": round((builder["pss"] + sum(o["memory"]["pss"] for o in outcomes)) / len(outcomes)),
        "worker_uss_mb": round(max(o["memory"]["uss"] for o in outcomes)),
        "built_worker_mb": round(max(o["built_mb"] for o in outcomes)), "postings": outcomes[0]["postings"],
        "recall": recall,
        "non_listed_alerting": {
            "share": round(len(alerting) / len(ordinary_rows), 4), "travellers": len(alerting),
            "coincidences": len(coincidences), "coincidences_in_set": len(coincident),
            "share_without_coincidences": round((len(alerting) - len(coincidences)) / len(ordinary_rows), 4),
            "top_alert_evidence": dict(evidence), "examples_name_only": examples},
        "candidates_per_traveller": {
            "retrieved": round(sum(r["retrieved"] for r in rows) / n, 2),
            "python_scored": round(sum(o["scored"] for o in outcomes) / n, 2),
            "at_min_score": round(sum(r["at_min"] for r in rows) / n, 2),
            "at_cap_share": round(sum(r["retrieved"] >= 50 for r in rows) / n, 4)},
        # what candidate generation gave up in the quality pass (the screener's own counters)
        "candidate_generation": {k: sum(o["lookup"].get(k, 0) for o in outcomes) for k in outcomes[0]["lookup"]},
    }


def _table(rows: list[dict]) -> str:
    sizes = [f"{r['entries']:,}" for r in rows]
    groups = list(rows[0]["recall"])
    out = ["| variant (recall at alert) | " + " | ".join(sizes) + " |", "|---|" + "---|" * len(rows)]
    for group in groups:
        out.append(f"| {group} | " + " | ".join(
            f"{r['recall'][group]['alert']:.0%} (retrieved {r['recall'][group]['retrieved']:.0%})" for r in rows) + " |")
    out.append("| non-listed alerting (coincidences) | " + " | ".join(
        f"{r['non_listed_alerting']['share']:.2%} ({r['non_listed_alerting']['coincidences']})" for r in rows) + " |")
    out.append("| candidates retrieved / Python-scored | " + " | ".join(
        f"{r['candidates_per_traveller']['retrieved']} / {r['candidates_per_traveller']['python_scored']}" for r in rows) + " |")
    out.append(f"| travellers/s ({rows[0]['workers']} workers) | " + " | ".join(f"{r['per_s']:,}" for r in rows) + " |")
    out.append("| build s / peak RSS MB / PSS MB per worker | " + " | ".join(
        f"{r['build_s']} / {r['peak_worker_mb']:,} / {r['worker_pss_mb']:,}" for r in rows) + " |")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--travellers", type=int, default=20000, help="ordinary travellers screened")
    parser.add_argument("--warm", type=int, default=2000, help="other travellers screened first (caches, compiling)")
    parser.add_argument("--per-variant", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--min-score", type=float, default=0.70)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--cache", default=str(REPO / "bench-out" / "screening_scale"))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--build-per-worker", action="store_true",
                        help="spawned workers each build their own index (default: one build, forked workers share it)")
    parser.add_argument("--rows-out", default="", help="also write every traveller's row to ROWS_OUT-<size>.json")
    parser.add_argument("--out", default=str(REPO / "bench-out" / "screening_scale.json"))
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args)))
        return 0
    rows = run_sizes(__file__, [int(s) for s in args.sizes.split(",")], [
        f"--{name.replace('_', '-')}={getattr(args, name)}"
        for name in ("travellers", "warm", "per_variant", "workers", "min_score", "seed", "cache", "rows_out")] +
        (["--build-per-worker"] if args.build_per_worker else []), args.out)
    if isinstance(rows, int):
        return rows
    print(_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
