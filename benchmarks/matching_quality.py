"""Matching quality: paxshare screening vs OpenSanctions nomenklatura logic-v2, side by side.

    .venv/bin/python benchmarks/matching_quality.py [--data ../shared/data] [--sample 500]
        [--manifests 'sample_manifests/*.avro'] [--out bench-out/matching_quality.json]

Sets (from ``--data``/names, never copied into the repo):
* ``nomenklatura/<category>``: OpenSanctions name benchmark, Person rows, per category;
* ``netranslit/<language>``: Wikidata Latin spelling vs native script (positives) and vs another
  row's native spelling (negatives);
* ``arabnamer/variants``: Latin spellings of the same Arabic name (positives) vs of another
  (negatives); ``arabnamer/native``: Latin vs the Arabic form;
* ``nicknames``: "NAME SURNAME" vs "NICKNAME SURNAME" (positives) vs another name's nickname
  with the same surname (hard negatives);
* ``splink``: person records (name + date of birth) in the same cluster vs different clusters;
* ``planted/<variant>``: the generator's manifests (or synthetic ones) screened against
  :func:`pipelines.generate.plant.plant_watchlists` lists; negatives are every non-planted
  traveller's best-scoring entry (the hardest negative the index finds).

Our side goes through the real engine (index + scoring): a pair the index does not retrieve
scores 0. nomenklatura runs in its own venv (``--nk-venv``, created on first use with
``python3 -m venv`` + ``pip install nomenklatura``) through ``benchmarks/nomenklatura_score.py``.

Reported per set (the name benchmark also pooled over its categories, ``nomenklatura (all
categories)``: one threshold for the whole file): positives/negatives, our recall and false-alert
rate (FPR) at our default threshold, logic-v2's at its 0.70 alert bar, and our recall at the best
threshold whose FPR does not exceed logic-v2's (same-false-alert-rate comparison).
"""

from __future__ import annotations

import argparse
import csv
import glob
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipelines.screening.engine.score import Screener  # noqa: E402
from pipelines.screening.engine.settings import load_settings  # noqa: E402
from pipelines.screening.lists.watchlist import Traveller  # noqa: E402

NK_THRESHOLD = 0.70
POOLED_NOMENKLATURA = "nomenklatura (all categories)"


def _entry(idx: int, side: dict) -> dict:
    docs = [{"type": "P", "number": side["document"], "issuer": side.get("issuer")}] if side.get("document") else []
    return {"schema_version": 1, "entry_id": str(idx), "list_id": "BENCH", "list_owner": "USA",
            "category": side.get("category", "LOOKOUT"), "severity": "NORMAL",
            "names": [{"full_name": side["name"], "surname": None, "given_names": None, "kind": "PRIMARY",
                       "quality": "GOOD", "script": None}] if side.get("name") else [],
            "dates_of_birth": [side["birth_date"]] if side.get("birth_date") else [], "sex": side.get("gender"),
            "nationalities": [side["nationality"]] if side.get("nationality") else [], "documents": docs,
            "receivers": [], "remarks": None}


def our_scores(pairs: list[dict], settings) -> list[float]:
    """Score pairs through index + scoring: one index over every pair's b side."""
    entries = [_entry(i, p["b"]) for i, p in enumerate(pairs)]
    screener = Screener(entries, settings)
    scores = []
    for i, pair in enumerate(pairs):
        a = pair["a"]
        traveller = Traveller(traveller_id=str(i), full_name=a["name"], date_of_birth=a.get("birth_date"),
                              sex=a.get("gender"), nationality=a.get("nationality"),
                              documents=((a["document"], a.get("issuer")),) if a.get("document") else ())
        found = {c.entry_id: c.score for c in screener.screen(traveller, min_score=0.0)}
        scores.append(found.get(str(i), 0.0))
    return scores


def nk_scores(pairs: list[dict], venv: Path) -> list[float] | None:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} with nomenklatura (one-off)...", file=sys.stderr)
        subprocess.run([sys.executable.replace(".venv", "").strip() or "python3", "-m", "venv", str(venv)], check=False)
        if not python.exists():
            subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "nomenklatura"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "pairs.jsonl", Path(tmp) / "scores.jsonl"
        src.write_text("".join(json.dumps({"a": p["a"], "b": p["b"]}, ensure_ascii=False) + "\n" for p in pairs), encoding="utf-8")
        result = subprocess.run([str(python), str(REPO / "benchmarks" / "nomenklatura_score.py"), str(src), str(dst)],
                                capture_output=True, text=True)
        if result.returncode:
            print(result.stderr[-2000:], file=sys.stderr)
            return None
        return [json.loads(line)["score"] for line in dst.read_text(encoding="utf-8").splitlines()]


# ------------------------------------------------------------------------------------------
# sets

def set_nomenklatura(data: Path, rng, sample) -> list[dict]:
    out = []
    with open(data / "names" / "nomenklatura_name_bench_cases.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["schema"] != "Person":
                continue
            category = row["category"] or row["case_group"]
            if category in ("true", "false", "STRONG", "MEDIUM"):
                category = row["case_group"]
            out.append({"set": f"nomenklatura/{category}", "a": {"name": row["name1"]}, "b": {"name": row["name2"]},
                        "match": row["is_match"].strip().lower() == "true"})
    return out


def set_netranslit(data: Path, rng, sample) -> list[dict]:
    out = []
    for path in sorted((data / "names" / "netranslit").glob("wd_*_20.tsv")):
        language = path.stem.split("_")[1]
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and parts[0] and parts[1]:
                rows.append((parts[0], parts[1].replace(" ", "")))
        rows = rng.sample(rows, min(sample, len(rows)))
        shuffled = rows[1:] + rows[:1]
        for (latin, native), (other_latin, other_native) in zip(rows, shuffled):
            out.append({"set": f"netranslit/{language}", "a": {"name": latin}, "b": {"name": native}, "match": True})
            if other_latin.lower() != latin.lower():
                out.append({"set": f"netranslit/{language}", "a": {"name": latin}, "b": {"name": other_native}, "match": False})
    return out


def set_arabnamer(data: Path, rng, sample) -> list[dict]:
    table = json.loads((data / "names" / "arabnamer_dict_FINAL_en_ar.json").read_text(encoding="utf-8"))
    groups: dict[str, list[str]] = defaultdict(list)
    for latin, arabic in table.items():
        groups[arabic].append(latin)
    multi = [sorted(v) for v in groups.values() if len(v) > 1]
    positives = [p for g in multi for p in itertools.combinations(g, 2)]
    positives = rng.sample(positives, min(sample, len(positives)))
    out = [{"set": "arabnamer/variants", "a": {"name": a}, "b": {"name": b}, "match": True} for a, b in positives]
    for _ in range(len(positives)):
        g1, g2 = rng.sample(multi, 2)
        out.append({"set": "arabnamer/variants", "a": {"name": rng.choice(g1)}, "b": {"name": rng.choice(g2)}, "match": False})
    items = rng.sample(sorted(table.items()), min(sample, len(table)))
    arabic_forms = [a for _, a in items]
    for i, (latin, arabic) in enumerate(items):
        out.append({"set": "arabnamer/native", "a": {"name": latin}, "b": {"name": arabic}, "match": True})
        other = arabic_forms[(i + 1) % len(arabic_forms)]
        if other != arabic:
            out.append({"set": "arabnamer/native", "a": {"name": latin}, "b": {"name": other}, "match": False})
    return out


def set_nicknames(data: Path, rng, sample) -> list[dict]:
    rows = list(csv.DictReader(open(data / "names" / "nicknames_names.csv", encoding="utf-8")))
    related: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        related[row["name1"]].add(row["name2"])
        related[row["name2"]].add(row["name1"])
    surnames = ["SMITH", "GARCIA", "TREMBLAY", "NGUYEN", "KOWALSKI", "OKAFOR", "HERNANDEZ", "MUELLER"]
    picked = rng.sample(rows, min(sample, len(rows)))
    all_nicks = sorted({r["name2"] for r in rows})
    out = []
    for row in picked:
        surname = rng.choice(surnames)
        out.append({"set": "nicknames", "a": {"name": f"{row['name1']} {surname}"}, "b": {"name": f"{row['name2']} {surname}"}, "match": True})
        other = rng.choice(all_nicks)
        if other not in related[row["name1"]] and other != row["name1"]:
            out.append({"set": "nicknames", "a": {"name": f"{row['name1']} {surname}"}, "b": {"name": f"{other} {surname}"}, "match": False})
    return out


def set_splink(data: Path, rng, sample) -> list[dict]:
    records = list(csv.DictReader(open(data / "names" / "splink_fake_1000.csv", encoding="utf-8")))
    def side(r):
        return {"name": f"{(r['first_name'] or '').strip()} {(r['surname'] or '').strip()}".strip(),
                "birth_date": (r["dob"] or "").strip() or None}
    records = [r for r in records if side(r)["name"]]
    clusters = defaultdict(list)
    for r in records:
        clusters[r["cluster"]].append(r)
    positives = [p for members in clusters.values() for p in itertools.combinations(members, 2)]
    positives = rng.sample(positives, min(sample, len(positives)))
    out = [{"set": "splink", "a": side(a), "b": side(b), "match": True} for a, b in positives]
    while len(out) < 2 * len(positives):
        a, b = rng.sample(records, 2)
        if a["cluster"] != b["cluster"]:
            out.append({"set": "splink", "a": side(a), "b": side(b), "match": False})
    return out


def planted(manifests: list[str], settings, rng, out_dir: Path) -> tuple[list[dict], dict]:
    """Screen generated travellers against planted lists. Returns pairs (for the side-by-side)
    and our engine's own figures (recall per variant, false-alert rate on all travellers)."""
    from pipelines.generate.plant import plant_watchlists
    from pipelines.screening.lists.watchlist import read_travellers, read_watchlists
    summary = plant_watchlists(manifests, str(out_dir), seed=11, per_variant=40, fillers=20000)
    entries = read_watchlists([v["avro"] for v in summary["lists"].values()])
    by_id = {e["entry_id"]: e for e in entries}
    truth = [json.loads(line) for line in open(summary["truth"], encoding="utf-8")]
    truth_by_key = defaultdict(list)
    for row in truth:
        truth_by_key[row["record_key"]].append(row)
    screener = Screener(entries, settings)
    found: dict[tuple[str, str], float] = {}
    travellers = {}
    false_alerts = others = 0
    negatives = []
    for traveller in itertools.chain.from_iterable(read_travellers(m) for m in manifests):
        travellers[traveller.traveller_id] = traveller
        candidates = screener.screen(traveller, min_score=0.0)
        for c in candidates:
            found[(traveller.traveller_id, c.entry_id)] = c.score
        if traveller.traveller_id not in truth_by_key:
            others += 1
            false_alerts += any(c.alert for c in candidates)
            if candidates:
                negatives.append((traveller, candidates[0].entry))
    def side_of_traveller(t):
        return {"name": " ".join(x for x in (t.given_names, t.surname) if x), "birth_date": t.date_of_birth,
                "gender": t.sex, "nationality": t.nationality,
                "document": t.documents[0][0] if t.documents else None, "issuer": t.documents[0][1] if t.documents else None}
    def side_of_entry(e):
        n = (e.get("names") or [{}])[0]
        name = n.get("full_name") or " ".join(x for x in (n.get("given_names"), n.get("surname")) if x)
        doc = (e.get("documents") or [{}])[0]
        return {"name": name or None, "birth_date": (e.get("dates_of_birth") or [None])[0], "gender": e.get("sex"),
                "nationality": (e.get("nationalities") or [None])[0], "document": doc.get("number"),
                "issuer": doc.get("issuer"), "category": e["category"]}
    pairs = []
    for row in truth:
        t = travellers.get(row["record_key"])
        if t is None:
            continue
        pairs.append({"set": f"planted/{row['variant']}", "a": side_of_traveller(t), "b": side_of_entry(by_id[row["entry_id"]]),
                      "match": True, "ours": found.get((row["record_key"], row["entry_id"]), 0.0),
                      "threshold": settings.threshold(by_id[row["entry_id"]]["category"])})
    negatives = rng.sample(negatives, min(1500, len(negatives)))
    for t, e in negatives:
        pairs.append({"set": "planted/hardest_negative", "a": side_of_traveller(t), "b": side_of_entry(e), "match": False,
                      "ours": found[(t.traveller_id, e["entry_id"])], "threshold": settings.threshold(e["category"])})
    figures = {"travellers": len(travellers), "non_planted_travellers": others, "false_alert_travellers": false_alerts,
               "false_alert_rate": false_alerts / others if others else 0.0, "entries": len(entries),
               "planted": summary["by_variant"]}
    return pairs, figures


# ------------------------------------------------------------------------------------------

def _rates(scores, labels, threshold):
    pos = [s for s, m in zip(scores, labels) if m]
    neg = [s for s, m in zip(scores, labels) if not m]
    recall = sum(s >= threshold for s in pos) / len(pos) if pos else None
    fpr = sum(s >= threshold for s in neg) / len(neg) if neg else None
    return recall, fpr


def _recall_at_fpr(scores, labels, max_fpr):
    """Best recall over thresholds whose FPR <= max_fpr (our engine at logic-v2's alert rate)."""
    best = 0.0
    for t in sorted(set(scores) | {1.01}):
        recall, fpr = _rates(scores, labels, t)
        if (fpr or 0.0) <= max_fpr + 1e-12 and recall is not None:
            best = max(best, recall)
    return best


def report(pairs, ours, theirs, default_thresholds) -> list[dict]:
    groups = defaultdict(list)
    for i, p in enumerate(pairs):
        groups[p["set"]].append(i)
        if p["set"].startswith("nomenklatura/"):
            # the name benchmark is one set too: one threshold over all its categories (most
            # categories have no negatives, so per category a false-alert rate cannot be matched)
            groups[POOLED_NOMENKLATURA].append(i)
    rows = []
    for name in sorted(groups):
        idx = groups[name]
        labels = [pairs[i]["match"] for i in idx]
        s_ours = [ours[i] for i in idx]
        thr = [default_thresholds[i] for i in idx]
        pos = [s >= t for s, t, m in zip(s_ours, thr, labels) if m]
        neg = [s >= t for s, t, m in zip(s_ours, thr, labels) if not m]
        row = {"set": name, "positives": len(pos), "negatives": len(neg),
               "ours_recall": sum(pos) / len(pos) if pos else None, "ours_fpr": sum(neg) / len(neg) if neg else None}
        if theirs is not None:
            s_nk = [theirs[i] for i in idx]
            nk_recall, nk_fpr = _rates(s_nk, labels, NK_THRESHOLD)
            row.update({"nk_recall": nk_recall, "nk_fpr": nk_fpr,
                        "ours_recall_at_nk_fpr": _recall_at_fpr(s_ours, labels, nk_fpr) if pos and neg else None})
        rows.append(row)
    return rows


def _fmt(x):
    return "   -  " if x is None else f"{x:6.3f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.environ.get("PAXSHARE_SHARED_DATA", str(REPO.parent / "shared" / "data")))
    parser.add_argument("--sample", type=int, default=500, help="pairs sampled per set (positives; as many negatives)")
    parser.add_argument("--manifests", default=None, help="glob of generated ApiManifest Avro files (default: "
                        "sample_manifests/**/*.avro, else synthetic)")
    parser.add_argument("--nk-venv", default=str(REPO / ".venv-nomenklatura"))
    parser.add_argument("--no-nomenklatura", action="store_true")
    parser.add_argument("--settings", default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default=str(REPO / "bench-out" / "matching_quality.json"))
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    data = Path(args.data)
    settings = load_settings(args.settings)
    pairs: list[dict] = []
    for builder in (set_nomenklatura, set_netranslit, set_arabnamer, set_nicknames, set_splink):
        pairs += builder(data, rng, args.sample)
    started = time.perf_counter()
    ours = [0.0] * len(pairs)
    by_set = defaultdict(list)
    for i, p in enumerate(pairs):
        by_set[p["set"].split("/")[0]].append(i)
    for indices in by_set.values():  # one index per source set, so negatives compete with positives
        for i, score in zip(indices, our_scores([pairs[i] for i in indices], settings)):
            ours[i] = score
    thresholds = [settings.threshold("LOOKOUT")] * len(pairs)
    out_dir = Path(args.out).parent
    out_dir.mkdir(parents=True, exist_ok=True)
    manifests = sorted(glob.glob(args.manifests, recursive=True)) if args.manifests else sorted(
        glob.glob(str(REPO / "sample_manifests" / "**" / "*.avro"), recursive=True))
    manifests = [m for m in manifests if "manifest" in Path(m).name.lower() or "api" in Path(m).name.lower()] or manifests
    if not manifests:
        from pipelines.generate.synthetic import write_fake_manifests
        manifests = [write_fake_manifests(str(out_dir / "synthetic_manifests.avro"), 200, 50, seed=3)]
    planted_pairs, planted_figures = planted(manifests, settings, rng, out_dir / "planted")
    pairs += planted_pairs
    ours += [p["ours"] for p in planted_pairs]
    thresholds += [p["threshold"] for p in planted_pairs]
    ours_seconds = time.perf_counter() - started
    theirs = None
    if not args.no_nomenklatura:
        started = time.perf_counter()
        theirs = nk_scores(pairs, Path(args.nk_venv))
        nk_seconds = time.perf_counter() - started
    rows = report(pairs, ours, theirs, thresholds)
    header = f"{'set':44} {'pos':>5} {'neg':>5}  ours_rec ours_fpr" + ("  nk_rec  nk_fpr  ours_rec@nk_fpr" if theirs else "")
    print(header)
    for r in rows:
        line = f"{r['set']:44} {r['positives']:5d} {r['negatives']:5d}  {_fmt(r['ours_recall'])}   {_fmt(r['ours_fpr'])}"
        if theirs:
            line += f"  {_fmt(r['nk_recall'])}  {_fmt(r['nk_fpr'])}  {_fmt(r['ours_recall_at_nk_fpr'])}"
        print(line)
    print(f"\nplanted: {json.dumps(planted_figures)}")
    print(f"ours: {ours_seconds:.1f}s" + (f", nomenklatura: {nk_seconds:.1f}s" if theirs else ""))
    Path(args.out).write_text(json.dumps({"rows": rows, "planted": planted_figures,
                                          "default_threshold_lookout": settings.threshold("LOOKOUT")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
