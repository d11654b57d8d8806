"""Sharing engine speed: records/s applying every default arrangement to generated travellers.

    .venv/bin/python benchmarks/sharing_speed.py [--records 20000] [--pnr-ratio 0.3]

Generates travellers over a mix of routes (US-Canada, US-Mexico, Central America, Europe, domestic),
flags 5% of them, and times ``SharingEngine.share_traveller`` / ``share_pnr`` over all default
arrangements (the sensitive filter, scope, allow-list, treatments, HMAC pseudonyms, content hash),
then the Avro encoding and HPKE sealing of the output per partner. Compare the records/s with the
spine's throughput: the budget is 30% of it (sharing at N records/s costs 1/N s per record).
With ``--pipeline`` it also runs ShareWithPartners on the DirectRunner over the same records.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "sharing"))

from sharing_samples import RULES, pnr, secrets_for, traveller  # noqa: E402

from pipelines.sharing import output  # noqa: E402
from pipelines.sharing.engine import SharingEngine  # noqa: E402
from pipelines.sharing.rules import load_rules  # noqa: E402

ROUTES = [("JFK", "YYZ"), ("YVR", "SEA"), ("LAX", "MEX"), ("ORD", "LAX", "MEX"), ("GUA", "MEX"), ("MEX", "IAH"),
          ("CUN", "DFW"), ("LHR", "JFK"), ("FRA", "ORD", "YYZ"), ("JFK", "LAX"), ("YUL", "CDG"), ("SAL", "LAX")]


def generate(n: int, pnr_ratio: float, seed: int = 7):
    rng = random.Random(seed)
    travellers, pnrs, flagged = [], [], set()
    for i in range(n):
        route = rng.choice(ROUTES)
        tid = f"MSG{i // 90}/{i % 90}"
        travellers.append(traveller(tid, route, role=rng.choice(["PASSENGER"] * 12 + ["CREW"]),
                                    surname=f"SURNAME{i}", doc_number=f"P{i:08d}", locator=f"L{i:05d}"))
        if rng.random() < 0.05:
            flagged.add(tid)
        if rng.random() < pnr_ratio:
            pnrs.append((pnr(f"L{i:05d}", route, ssrs=[("MOML", None), ("FQTV", "AC123")],
                             remarks=[("OSI", "VIP"), ("GENERAL", "KOSHER MEAL")]), tid in flagged))
    return travellers, pnrs, flagged


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--pnr-ratio", type=float, default=0.3)
    parser.add_argument("--pipeline", action="store_true", help="also time ShareWithPartners on the DirectRunner")
    args = parser.parse_args(argv)
    arrangements = load_rules(RULES)
    engine = SharingEngine(arrangements, secrets_for(arrangements))
    travellers, pnrs, flagged = generate(args.records, args.pnr_ratio)

    engine.share_traveller(travellers[0], True)  # warm up: airport table, regexes
    by_partner = defaultdict(list)
    start = time.perf_counter()
    for t in travellers:
        for share in engine.share_traveller(t, t["traveller_id"] in flagged, "bench", "2026-11-23T00:00:00Z"):
            by_partner[share.record["recipient"]].append(share.record)
    api_s = time.perf_counter() - start
    start = time.perf_counter()
    for p, is_flagged in pnrs:
        for share in engine.share_pnr(p, is_flagged, "bench", "2026-11-23T00:00:00Z"):
            by_partner[share.record["recipient"]].append(share.record)
    pnr_s = time.perf_counter() - start
    shared = sum(len(v) for v in by_partner.values())
    print(f"arrangements: {len(arrangements)}; records in: {len(travellers)} API + {len(pnrs)} PNR; shared: {shared}")
    print(f"engine API: {len(travellers) / api_s:,.0f} records/s ({api_s * 1e6 / len(travellers):.1f} us/record)")
    if pnrs:
        print(f"engine PNR: {len(pnrs) / pnr_s:,.0f} records/s ({pnr_s * 1e6 / len(pnrs):.1f} us/record)")

    try:
        from pipelines import crypto
    except ImportError:
        return 0
    start = time.perf_counter()
    size = 0
    for recipient, records in by_partner.items():
        key = crypto.generate_recipient_key(recipient).public_key()
        size += len(output.seal_records(records, key, recipient, output.file_name(recipient, "bench")))
    seal_s = time.perf_counter() - start
    total = len(travellers) + len(pnrs)
    print(f"encode+seal: {shared / seal_s:,.0f} shared records/s; {size / 1e6:.1f} MB sealed")
    print(f"overall (engine + encode + seal): {total / (api_s + pnr_s + seal_s):,.0f} input records/s")

    if args.pipeline:
        import apache_beam as beam

        from pipelines.sharing.engine import create_secret
        from pipelines.sharing.transforms import ShareWithPartners

        with tempfile.TemporaryDirectory() as tmp:
            keys = Path(tmp) / "keys"
            keys.mkdir()
            for code in ("USA", "CAN", "MEX"):
                key = crypto.generate_recipient_key(code)
                crypto.save_private_key(key, keys / crypto.private_key_file_name(code))
                crypto.save_public_key(key, keys / crypto.public_key_file_name(code))
            for a in arrangements:
                create_secret(keys / a.pseudonym_key)
            for with_sharing in (False, True):
                start = time.perf_counter()
                with beam.Pipeline(argv=["--runner=DirectRunner"]) as p:
                    api = p | "Api" >> beam.Create(travellers)
                    counted = api | "Touch" >> beam.Map(lambda t: t["traveller_id"])
                    if with_sharing:
                        flags = p | "Flags" >> beam.Create(sorted(flagged))
                        _ = api | ShareWithPartners(RULES, keys, Path(tmp) / "out", "bench", flagged_traveller_ids=flags)
                    _ = counted | beam.combiners.Count.Globally()
                took = time.perf_counter() - start
                print(f"DirectRunner {'with' if with_sharing else 'without'} sharing: {len(travellers) / took:,.0f} records/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
