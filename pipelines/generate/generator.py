"""The generator's engine: flights -> parties -> API manifests + PNRs, streamed to Avro files.

The run is cut into chunks of ``persons_per_file`` API persons. Chunk *i* draws everything from its
own ``random.Random`` seeded with (seed, i) and writes ``api/api-<i>.avro`` and ``pnr/pnr-<i>.avro``
(the PNRs of the passengers in that API file), so chunks can run in parallel processes and the
bytes do not depend on how many ran at once. Within a chunk, one flight is held in memory at a
time; a 10-million-traveller run uses a few tens of MB per process.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from multiprocessing import get_context
from pathlib import Path
from random import Random

from fastavro.write import Writer

from pipelines import schemas
from pipelines.generate import defects as D
from pipelines.generate.names import cultures
from pipelines.generate.people import FlightContext, Traveller, draw_crew, make_party
from pipelines.generate.pnr import Locators, build_pnr, tables
from pipelines.generate.world import Weighted, local_text, make_flight, transit_stops, utc_text, world

SOURCE_FORMAT = "paxshare-generate"
#: zlib level for the deflate codec: level 1 costs a third of the default's CPU for ~15% larger files.
DEFLATE_LEVEL = 1


@dataclass(frozen=True)
class Options:
    """Everything that shapes a generated set; the same options give the same bytes."""

    travellers: int = 3000
    seed: int = 7
    invalid_rate: float = 0.02
    persons_per_file: int = 50_000
    reference_date: str = "2026-11-23"
    days: int = 7
    mean_passengers: float = 10.0
    multileg_rate: float = 0.07
    crew_list_rate: float = 0.3
    mrz_rate: float = 0.2
    with_native_names: bool = False
    codec: str = "deflate"

    def validate(self) -> None:
        if self.travellers < 1:
            raise ValueError("travellers must be at least 1")
        if not 0.0 <= self.invalid_rate <= 0.5:
            raise ValueError("invalid_rate must be between 0 and 0.5")
        if self.persons_per_file < 50:
            raise ValueError("persons_per_file must be at least 50")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.mean_passengers < 1:
            raise ValueError("mean_passengers must be at least 1")
        if self.codec not in ("null", "deflate"):
            raise ValueError("codec must be 'null' or 'deflate'")
        date.fromisoformat(self.reference_date)


# ---------------------------------------------------------------------------------------------

_PARTY_SIZE = Weighted([(1, 52), (2, 26), (3, 9), (4, 8), (5, 3), (6, 1.3), (7, 0.3), (8, 0.2), (9, 0.2)])
_CLOSE_FUNCTIONS = Weighted([("FLIGHT_CLOSE", 3), ("CLOSE_ON_BOARD", 2), ("CLOSE_NOT_ON_BOARD", 1)])

_culture_draws: dict = {}
_crew_draws: dict = {}


def _culture_draw(countries: tuple[str, ...]) -> Weighted:
    draw = _culture_draws.get(countries)
    if draw is None:
        pairs = []
        for name, c in cultures().items():
            weight = c.weight + sum(c.affinity.get(country, 0.0) for country in countries)
            pairs.append((name, weight))
        draw = _culture_draws[countries] = Weighted(pairs)
    return draw


def _crew_draw(country: str) -> Weighted:
    draw = _crew_draws.get(country)
    if draw is None:
        pairs = [(name, c.affinity.get(country, 0.0) + 0.02 * c.weight) for name, c in cultures().items()]
        draw = _crew_draws[country] = Weighted(pairs)
    return draw


def _sync_marker(seed: int, chunk: int, kind: str) -> bytes:
    return hashlib.sha256(f"paxshare-generate:{seed}:{chunk}:{kind}".encode()).digest()[:16]


def _flight_record(plan) -> dict:
    return {
        "carrier": plan.carrier.code,
        "number": plan.number,
        "operating_carrier": plan.operating_carrier,
        "in_transit": plan.in_transit,
        "legs": [{
            "departure_airport": leg.departure.iata,
            "departure_local": local_text(leg.dep_local),
            "departure_utc": utc_text(leg.dep_utc),
            "arrival_airport": leg.arrival.iata,
            "arrival_local": local_text(leg.arr_local),
            "arrival_utc": utc_text(leg.arr_utc),
        } for leg in plan.legs],
    }


def _copy_person(person: dict) -> dict:
    copy = dict(person)
    copy["documents"] = [dict(d) for d in person["documents"]]
    copy["bag_tags"] = list(person["bag_tags"])
    return copy


class _Chunk:
    """Generates and writes one chunk."""

    def __init__(self, options: Options, index: int, persons: int, out_dir: Path):
        self.o = options
        self.writer_class = Writer
        self.index = index
        self.target = persons
        self.out = out_dir
        self.rng = Random(f"paxshare-generate:{options.seed}:{index}")
        self.world = world()
        self.tables = tables()
        self.locators = Locators(options.seed)
        self.pnr_base = index * options.persons_per_file
        self.pnr_seq = 0
        self.split_seq = 0
        self.message_seq = 0
        self.reference = date.fromisoformat(options.reference_date)
        self.nationality_draws: dict = {}
        self.person_cycle = D.Cycle(self.rng, D.PERSON_KINDS)
        self.pax_manifest_cycle = D.Cycle(self.rng, D.PASSENGER_MANIFEST_KINDS)
        self.crew_manifest_cycle = D.Cycle(self.rng, D.CREW_MANIFEST_KINDS)
        self.pnr_cycle = D.Cycle(self.rng, D.PNR_KINDS)
        self.api_rel = f"api/api-{index:05d}.avro"
        self.pnr_rel = f"pnr/pnr-{index:05d}.avro"
        self.stats = {
            "chunk": index, "manifests": 0, "persons": 0, "passengers": 0, "crew": 0, "pnrs": 0,
            "pnr_travellers": 0, "flights": 0, "multi_leg_flights": 0, "in_transit_flights": 0,
            "in_transit_persons": 0, "infants": 0, "message_types": {}, "message_functions": {},
            "cultures": {}, "persons_with_native_form": 0, "sensitive": {}, "planted": {}, "planted_by_kind": {},
            "files": [self.api_rel, self.pnr_rel],
        }

    # -- helpers --------------------------------------------------------------------------

    def _count(self, key: str, sub: str, n: int = 1) -> None:
        bucket = self.stats[key]
        bucket[sub] = bucket.get(sub, 0) + n

    def _locator(self) -> str:
        locator = self.locators(self.pnr_base + self.pnr_seq)
        self.pnr_seq += 1
        return locator

    def _split_locator(self) -> str:
        locator = self.locators((1 << 29) + self.pnr_base + self.split_seq)
        self.split_seq += 1
        return locator

    def _message_id(self, sender: str, day: str, suffix: str) -> str:
        self.message_seq += 1
        return f"{sender}{day}-{self.index:05d}{self.message_seq:06d}{suffix}"

    def _truth(self, kind: str, file: str, key: str, code: str, field: str) -> None:
        self.truth.write(json.dumps({"kind": kind, "file": file, "record_key": key, "code": code, "field": field},
                                    ensure_ascii=False) + "\n")
        self._count("planted", code)
        self._count("planted_by_kind", kind)

    # -- the run --------------------------------------------------------------------------

    def run(self) -> dict:
        o = self.o
        (self.out / "api").mkdir(parents=True, exist_ok=True)
        (self.out / "pnr").mkdir(parents=True, exist_ok=True)
        parts = self.out / "truth" / ".parts"
        parts.mkdir(parents=True, exist_ok=True)
        with open(self.out / self.api_rel, "wb") as api_fh, open(self.out / self.pnr_rel, "wb") as pnr_fh, \
                open(parts / f"planted-{self.index:05d}.jsonl", "w", encoding="utf-8") as truth, \
                open(parts / f"native-{self.index:05d}.jsonl", "w", encoding="utf-8") as native:
            self.truth = truth
            self.native = native
            level = DEFLATE_LEVEL if o.codec == "deflate" else None
            self.api = self.writer_class(api_fh, schemas.load("api_manifest"), codec=o.codec, sync_interval=64_000,
                              metadata=schemas.file_metadata("api_manifest"),
                              sync_marker=_sync_marker(o.seed, self.index, "api"), compression_level=level)
            self.pnr = self.writer_class(pnr_fh, schemas.load("pnr"), codec=o.codec, sync_interval=64_000,
                              metadata=schemas.file_metadata("pnr"), sync_marker=_sync_marker(o.seed, self.index, "pnr"),
                              compression_level=level)
            remaining = self.target
            while remaining > 0:
                remaining -= self.flight(remaining)
            self.api.flush()
            self.pnr.flush()
        return self.stats

    def flight(self, budget: int) -> int:
        """Generate one flight's messages and PNRs within ``budget`` persons; returns persons written."""
        o, rng, w = self.o, self.rng, self.world
        day = self.reference + timedelta(days=int(rng.random() * o.days))
        plan = make_flight(rng, w, day, o.multileg_rate)
        day_text = f"{day.year % 100:02d}{day.month:02d}{day.day:02d}"
        airports = plan.airports
        countries = tuple(sorted({a.country for a in airports}))
        ctx = FlightContext(rng, w, plan, _culture_draw(countries))
        stops = transit_stops(plan)
        last = len(airports) - 1

        crew_size = 0
        if rng.random() < o.crew_list_rate:
            crew_size = (4 if not plan.long_haul else 8) + int(rng.random() * (6 if not plan.long_haul else 9))
        pax_target = max(1, min(380, int(rng.gammavariate(1.6, o.mean_passengers / 1.6)) + 1))
        if budget < 4:
            crew_size, pax_target = 0, budget
        elif crew_size + pax_target > budget:
            crew_size = min(crew_size, budget // 3)
            pax_target = budget - crew_size
        repeats = 0
        if pax_target > 4 and rng.random() < 0.04:
            repeats = 1 + int(rng.random() * 2)
            pax_target -= repeats

        # Parties, each with its PNR locator.
        parties: list[tuple[list[Traveller], str]] = []
        count = 0
        while count < pax_target:
            size = min(_PARTY_SIZE.draw(rng), pax_target - count)
            if last == 1 or rng.random() < 0.5:
                embark, debark = 0, last
            else:
                embark = int(rng.random() * last)
                debark = embark + 1 + int(rng.random() * (last - embark))
            role = "IN_TRANSIT_PASSENGER" if any(embark < s < debark for s in stops) else "PASSENGER"
            locator = self._locator()
            party = make_party(ctx, size, embark, debark, role, locator, self.tables, o, self.nationality_draws)
            parties.append((party, locator))
            count += len(party)
        crew_role = "IN_TRANSIT_CREW" if plan.in_transit else "CREW"
        crew = draw_crew(ctx, crew_size, crew_role, self.tables, o, _crew_draw(plan.carrier.country),
                         self.nationality_draws) if crew_size else []

        # PNRs are built from the clean persons, before any API defect is planted.
        pnrs = []
        for party, locator in parties:
            message_id = self._message_id("PNR" + plan.carrier.code, day_text, "")
            record, _ = build_pnr(ctx, party, locator, message_id, self._split_locator, self.stats["sensitive"])
            pnrs.append(record)

        # API messages: the passenger list, maybe a late change or close message, a cancellation
        # repeating persons already reported, and the crew list.
        passengers = [t for party, _ in parties for t in party]
        messages: list[tuple[str, str, list[Traveller], list[dict]]] = []
        n = len(passengers)
        r = rng.random()
        if n >= 4 and r < 0.2:
            k = 1 + int(rng.random() * min(3, n // 4))
            function = "CHANGE_PASSENGER" if r < 0.12 else _CLOSE_FUNCTIONS.draw(rng)
            messages.append(("PASSENGER_LIST", "ORIGINAL", passengers[:-k], [t.record for t in passengers[:-k]]))
            messages.append(("PASSENGER_LIST", function, passengers[-k:], [t.record for t in passengers[-k:]]))
        else:
            messages.append(("PASSENGER_LIST", "ORIGINAL", passengers, [t.record for t in passengers]))
        if repeats:
            # Copied now, before any defect is planted on the originals.
            function = "CANCEL_RESERVATION" if rng.random() < 0.6 else "REDUCTION_IN_PARTY"
            messages.append(("PASSENGER_LIST", function, passengers[:repeats],
                             [_copy_person(t.record) for t in passengers[:repeats]]))
        if crew:
            messages.append(("CREW_LIST", "ORIGINAL", crew, [t.record for t in crew]))

        dep_utc = plan.legs[0].dep_utc
        written = 0
        for message_type, function, people, persons in messages:
            is_crew = message_type == "CREW_LIST"
            sender = plan.carrier.code
            message_id = self._message_id(sender, day_text, "C" if is_crew else "P")
            before = (60 + int(rng.random() * 60)) if is_crew else (
                30 + int(rng.random() * 60) if function == "ORIGINAL" else 2 + int(rng.random() * 25))
            for i, person in enumerate(persons):
                person["person_id"] = f"{'C' if is_crew else 'P'}{i + 1:04d}"
            manifest = {
                "schema_version": 3,
                "message_id": message_id,
                "sender": sender,
                "sender_contact": f"APIS.{sender}@EXAMPLE.COM" if rng.random() < 0.7 else None,
                "message_type": message_type,
                "message_function": function,
                "transaction_reference": f"{sender}{plan.number}{day_text}{self.message_seq % 100:02d}",
                "prepared_utc": utc_text(dep_utc - timedelta(minutes=before)),
                "flight": _flight_record(plan),
                "declared_passenger_count": None if is_crew else len(persons),
                "declared_crew_count": len(persons) if is_crew else None,
                "persons": persons,
                "warnings": [],
                "source_format": SOURCE_FORMAT,
                "list_part": None,
            }
            # Defects: one per invalid manifest; persons of an invalid manifest stay valid.
            if rng.random() < o.invalid_rate:
                cycle = self.crew_manifest_cycle if is_crew else self.pax_manifest_cycle
                kind = cycle.take(lambda k: True)
                D.plant_manifest(rng, kind, manifest)
                self._truth("API_MANIFEST", self.api_rel, message_id, kind[0], kind[1])
            else:
                for t, person in zip(people, persons):
                    if rng.random() < o.invalid_rate:
                        kind = self.person_cycle.take(lambda k: D.person_applies(k, person, t.age_days))
                        if kind is None:
                            continue
                        D.plant_person(rng, kind, person, ctx.dep_ord)
                        self._truth("API_PERSON", self.api_rel, f"{message_id}/{person['person_id']}", kind[0], kind[1])
            self.api.write(manifest)
            written += len(persons)
            self._count_manifest(manifest, people, message_id)
        # PNRs (a few planted invalid).
        for record in pnrs:
            if rng.random() < o.invalid_rate * 0.5:
                kind = self.pnr_cycle.take(lambda k: True)
                key = record["record_locator"]
                field = D.plant_pnr(rng, kind, record)
                if field == "record_locator":
                    key = record["message_id"]
                self._truth("PNR", self.pnr_rel, key, kind[0], field)
            self.pnr.write(record)
            self.stats["pnrs"] += 1
            self.stats["pnr_travellers"] += len(record["travellers"])
        self.stats["flights"] += 1
        if len(plan.legs) > 1:
            self.stats["multi_leg_flights"] += 1
        if plan.in_transit:
            self.stats["in_transit_flights"] += 1
        return written

    def _count_manifest(self, manifest: dict, people: list[Traveller], message_id: str) -> None:
        s = self.stats
        s["manifests"] += 1
        self._count("message_types", manifest["message_type"])
        self._count("message_functions", manifest["message_function"])
        for t, person in zip(people, manifest["persons"]):
            s["persons"] += 1
            role = person["role"]
            if role in ("CREW", "IN_TRANSIT_CREW"):
                s["crew"] += 1
            else:
                s["passengers"] += 1
            if role.startswith("IN_TRANSIT"):
                s["in_transit_persons"] += 1
            if t.ptype == "IN":
                s["infants"] += 1
            self._count("cultures", t.culture)
            if t.name.has_native_form():
                s["persons_with_native_form"] += 1
                if self.o.with_native_names:
                    c = cultures()[t.culture]
                    self.native.write(json.dumps({
                        "record_key": f"{message_id}/{person['person_id']}",
                        "culture": t.culture,
                        "script": c.script,
                        "native_surname": t.name.native_surname,
                        "native_given_names": t.name.native_given_names,
                        "surname": t.name.surname,
                        "given_names": t.name.given_names,
                    }, ensure_ascii=False) + "\n")


def _run_chunk(args) -> dict:
    options_dict, index, persons, out_dir = args
    return _Chunk(Options(**options_dict), index, persons, Path(out_dir)).run()


def _merge(total: dict, part: dict) -> None:
    for key, value in part.items():
        if key in ("chunk",):
            continue
        if key == "files":
            total.setdefault("files", []).extend(value)
        elif isinstance(value, dict):
            bucket = total.setdefault(key, {})
            for k, v in value.items():
                bucket[k] = bucket.get(k, 0) + v
        else:
            total[key] = total.get(key, 0) + value


def generate(out_dir, travellers: int = 3000, seed: int = 7, invalid_rate: float = 0.02,
             persons_per_file: int = 50_000, reference_date: str = "2026-11-23", days: int = 7,
             with_native_names: bool = False, codec: str = "deflate", workers: int | None = None,
             mean_passengers: float = 10.0, multileg_rate: float = 0.07, crew_list_rate: float = 0.3,
             mrz_rate: float = 0.2, command: str | None = None) -> dict:
    """Write a synthetic API/PNR set to ``out_dir`` and return its summary.

    ``out_dir`` gets ``api/api-NNNNN.avro`` (ApiManifest records), ``pnr/pnr-NNNNN.avro`` (Pnr
    records of the passengers in the API file with the same number), ``truth/planted_invalid.jsonl``
    (one line per planted defect), ``truth/summary.json``, ``truth/persons_native.jsonl`` (with
    ``with_native_names``) and ``GENERATED.md``. Same arguments, same bytes; ``workers`` (default:
    one per CPU, at most one per file) only changes how fast.
    """
    options = Options(travellers=travellers, seed=seed, invalid_rate=invalid_rate, persons_per_file=persons_per_file,
                      reference_date=reference_date, days=days, mean_passengers=mean_passengers,
                      multileg_rate=multileg_rate, crew_list_rate=crew_list_rate, mrz_rate=mrz_rate,
                      with_native_names=with_native_names, codec=codec)
    options.validate()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for folder in ("api", "pnr", "truth"):
        if (out / folder).exists():
            shutil.rmtree(out / folder)
    chunks = []
    left = travellers
    index = 0
    while left > 0:
        n = min(persons_per_file, left)
        chunks.append((asdict(options), index, n, str(out)))
        left -= n
        index += 1
    world(), tables(), cultures()  # load once before forking
    if workers is None or workers <= 0:
        workers = os.cpu_count() or 1
    workers = max(1, min(workers, len(chunks)))
    if workers == 1:
        results = [_run_chunk(c) for c in chunks]
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
            results = list(pool.map(_run_chunk, chunks))
    summary: dict = {}
    for part in results:
        _merge(summary, part)
    parts = out / "truth" / ".parts"
    with open(out / "truth" / "planted_invalid.jsonl", "wb") as merged:
        for c in chunks:
            with open(parts / f"planted-{c[1]:05d}.jsonl", "rb") as handle:
                shutil.copyfileobj(handle, merged)
    if with_native_names:
        with open(out / "truth" / "persons_native.jsonl", "wb") as merged:
            for c in chunks:
                with open(parts / f"native-{c[1]:05d}.jsonl", "rb") as handle:
                    shutil.copyfileobj(handle, merged)
    shutil.rmtree(parts)
    summary = _finish_summary(summary, options)
    (out / "truth" / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    from pipelines.generate.report import generated_md
    (out / "GENERATED.md").write_text(generated_md(summary, options, command), encoding="utf-8")
    return summary


def _finish_summary(summary: dict, options: Options) -> dict:
    planted = summary.get("planted", {})
    ordered = {
        "options": asdict(options),
        "files": summary.get("files", []),
        "flights": summary.get("flights", 0),
        "manifests": summary.get("manifests", 0),
        "persons": summary.get("persons", 0),
        "passengers": summary.get("passengers", 0),
        "crew": summary.get("crew", 0),
        "infants": summary.get("infants", 0),
        "pnrs": summary.get("pnrs", 0),
        "pnr_travellers": summary.get("pnr_travellers", 0),
        "multi_leg_flights": summary.get("multi_leg_flights", 0),
        "in_transit_flights": summary.get("in_transit_flights", 0),
        "in_transit_persons": summary.get("in_transit_persons", 0),
        "message_types": dict(sorted(summary.get("message_types", {}).items())),
        "message_functions": dict(sorted(summary.get("message_functions", {}).items())),
        "cultures": dict(sorted(summary.get("cultures", {}).items())),
        "persons_with_native_form": summary.get("persons_with_native_form", 0),
        "sensitive": dict(sorted(summary.get("sensitive", {}).items())),
        "planted_invalid": {
            "total": sum(planted.values()),
            "by_code": dict(sorted(planted.items())),
            "by_kind": dict(sorted(summary.get("planted_by_kind", {}).items())),
        },
    }
    return ordered


__all__ = ["Options", "generate"]
