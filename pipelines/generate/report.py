"""``GENERATED.md`` and the one-paragraph summary printed at the end of a run."""

from __future__ import annotations

import platform
from importlib import metadata


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    from pipelines import __version__
    return {
        "paxshare": __version__,
        "python": platform.python_version(),
        "fastavro": _version("fastavro"),
        "airportsdata": _version("airportsdata"),
        "pycountry": _version("pycountry"),
        "unidecode": _version("Unidecode"),
        "tzdata": _version("tzdata"),
    }


def default_command(options) -> str:
    parts = [f"paxshare generate --out OUT --travellers {options.travellers} --seed {options.seed}",
             f"--invalid-rate {options.invalid_rate}", f"--persons-per-file {options.persons_per_file}",
             f"--reference-date {options.reference_date}", f"--days {options.days}",
             f"--mean-passengers {options.mean_passengers}", f"--codec {options.codec}"]
    if options.with_native_names:
        parts.append("--with-native-names")
    return " ".join(parts)


def one_paragraph(summary: dict, out_dir, seconds: float | None = None) -> str:
    planted = summary["planted_invalid"]
    codes = ", ".join(f"{code} {n}" for code, n in planted["by_code"].items()) or "none"
    speed = ""
    if seconds:
        speed = f" in {seconds:.1f} s ({summary['persons'] / seconds:,.0f} travellers/s)"
    return (
        f"Generated {summary['persons']:,} API persons ({summary['passengers']:,} passengers, "
        f"{summary['crew']:,} crew, {summary['infants']:,} infants) on {summary['flights']:,} flights "
        f"({summary['multi_leg_flights']:,} multi-leg, {summary['in_transit_flights']:,} in transit) in "
        f"{summary['manifests']:,} manifests, and {summary['pnrs']:,} PNRs for {summary['pnr_travellers']:,} "
        f"travellers, from {len(summary['cultures'])} name cultures, into {len(summary['files'])} Avro files "
        f"under {out_dir}{speed}. Planted {planted['total']:,} invalid records ({codes}); the truth is in "
        f"truth/planted_invalid.jsonl and the counts in truth/summary.json."
    )


def generated_md(summary: dict, options, command: str | None) -> str:
    o = summary["options"]
    v = versions()
    planted = summary["planted_invalid"]
    lines = [
        "# Generated data set",
        "",
        "Synthetic Advance Passenger Information manifests and PNRs written by `paxshare generate`",
        "(package `pipelines/generate`). Every name, document, card and booking is invented; nothing",
        "here describes a real person.",
        "",
        "## Command",
        "",
        "```",
        command or default_command(options),
        "```",
        "",
        "Same command, same package versions => byte-identical files (the seed drives one",
        "`random.Random` per output file; no wall clock is read).",
        "",
        "## How it is made",
        "",
        "- Flights: real carrier designators, hubs and gateways (`pipelines/generate/data/carriers.csv`),",
        "  airports with their country and time zone from `airportsdata`; every flight touches the US,",
        "  Canada or Mexico. Leg times are computed in UTC and shown in each airport's local time.",
        "  Through flights with stops (`multileg_routes.csv`) give multi-leg itineraries; a stop in a",
        "  partner country that is neither origin nor destination makes the flight `in_transit` and its",
        "  through passengers and crew `IN_TRANSIT_PASSENGER` / `IN_TRANSIT_CREW`.",
        "- Messages: a passenger list per flight (sometimes with a later change or close message, or a",
        "  cancellation repeating persons already reported) and, for some flights, a crew list.",
        "  Declared counts equal the persons present unless a COUNT_MISMATCH is planted.",
        "- People: parties (solo, couples, families with children and infants, groups) drawn from 16",
        "  name cultures (`names_<culture>.csv`: native form + Latin passport spellings), written in MRZ",
        "  A-Z (`pipelines.mrz.transliterate`; ICAO and Ukrainian national tables for Cyrillic).",
        "  Passports (some ID cards, passport cards, resident cards; visas for travellers who need",
        "  one), valid at least 45 days after departure; a TD3 MRZ line on some passports.",
        "- PNRs: one per party with the API flight's legs, connections and return, contacts, masked",
        "  cards, agency, tickets, seats, bags, frequent flyer, SSR DOCS/DOCO/DOCA, history, and",
        "  sensitive SSR codes and OSI free text at the rates in `pnr_tables.json`.",
        "",
        "## Parameters",
        "",
        "| parameter | value |",
        "| --- | --- |",
    ]
    for key, value in o.items():
        lines.append(f"| {key} | {value} |")
    lines += [
        "",
        "## Versions",
        "",
        "| package | version |",
        "| --- | --- |",
    ]
    for key, value in v.items():
        lines.append(f"| {key} | {value} |")
    lines += [
        "",
        "## Contents",
        "",
        f"- `api/api-NNNNN.avro`: {summary['manifests']:,} `ApiManifest` records (schemas/api_manifest.avsc)"
        f" with {summary['persons']:,} persons ({summary['passengers']:,} passengers, {summary['crew']:,} crew,"
        f" {summary['in_transit_persons']:,} in transit) on {summary['flights']:,} flights"
        f" ({summary['multi_leg_flights']:,} with more than one leg, {summary['in_transit_flights']:,} in transit).",
        f"- `pnr/pnr-NNNNN.avro`: {summary['pnrs']:,} `Pnr` records (schemas/pnr.avsc) for"
        f" {summary['pnr_travellers']:,} travellers; PNR file N holds the PNRs of the passengers in API file N,"
        " linked by `record_locator` = `persons[].pnr_locator` and the API flight in `flights`.",
        f"- `truth/planted_invalid.jsonl`: {planted['total']:,} planted defects, one JSON object per line:"
        " `kind` (API_PERSON, API_MANIFEST, PNR), `file`, `record_key` (`message_id/person_id`,"
        " `message_id`, or the PNR's `record_locator`, its `message_id` when the locator is the defect),"
        " `code` and `field` as in `pipelines/reasons.py`. Each invalid record has exactly one"
        " defect; every other record is valid.",
        "- `truth/summary.json`: the counts below and more.",
    ]
    if o.get("with_native_names"):
        lines.append("- `truth/persons_native.jsonl`: for persons whose name has a native form (another script,"
                     " or diacritics), `record_key`, `culture`, `script`, `native_surname`, `native_given_names`"
                     " and the sent `surname`/`given_names`.")
    lines += [
        "",
        "## Planted invalid records",
        "",
        "| code | count |",
        "| --- | --- |",
    ]
    for code, n in planted["by_code"].items():
        lines.append(f"| {code} | {n} |")
    lines += [
        "",
        "## Name cultures (persons)",
        "",
        "| culture | persons |",
        "| --- | --- |",
    ]
    for culture, n in summary["cultures"].items():
        lines.append(f"| {culture} | {n} |")
    lines += [
        "",
        "## Sensitive PNR elements planted",
        "",
        "| code | travellers or PNRs |",
        "| --- | --- |",
    ]
    for code, n in summary["sensitive"].items():
        lines.append(f"| {code} | {n} |")
    lines.append("")
    return "\n".join(lines)
