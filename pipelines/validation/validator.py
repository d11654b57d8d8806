"""Validate decoded records in batches with the great-expectations suites.

Building a great-expectations context costs about two seconds, so a ``Validator`` is made once
(per Beam worker, in ``DoFn.setup``) and fed batches of a few thousand rows; a batch of 10,000
person rows validates in about 0.1 s. Every record comes out either valid or as a dead letter
listing all of its reasons; ``FileCounts`` says how many of each per input file, so the run
report reconciles.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from pipelines.schemas import DecodedRecord
from pipelines.validation import derive
from pipelines.reasons import Reason
from pipelines.validation.suite import SUITES, Check, build_expectation_suite

COUNT_KEYS = (
    "manifests_in", "manifests_rejected", "persons_in", "persons_valid", "persons_rejected",
    "pnrs_in", "pnrs_valid", "pnrs_rejected",
)


@dataclass
class ValidationOutcome:
    """What one batch produced: valid travellers and PNRs, dead letters, counts per file."""

    travellers: list[dict] = field(default_factory=list)
    #: Rejected persons whose flight is still known, with their reasons: screened but never shared,
    #: because a data defect (even a deliberate one) must not hide a traveller from the watchlists.
    unvalidated_travellers: list[tuple[dict, list[str]]] = field(default_factory=list)
    pnrs: list[dict] = field(default_factory=list)
    dead_letters: list[dict] = field(default_factory=list)
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    reason_codes: Counter = field(default_factory=Counter)


def flight_key(carrier: str, number: str, date: str) -> str:
    """CARRIER + zero-padded number + '/' + local departure date: 'AC0871/2026-11-23'."""
    digits = "".join(ch for ch in number if ch.isdigit())
    suffix = number[len(digits):]
    return f"{carrier}{digits.zfill(4)}{suffix}/{date}"


class Validator:
    """Applies the suites. Not thread-safe; make one per worker."""

    def __init__(self, run_id: str):
        self.run_id = run_id
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        for name in ("great_expectations", "great_expectations.data_context.types.base"):
            logging.getLogger(name).setLevel(logging.ERROR)  # its import resets levels
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        source = context.data_sources.add_pandas("paxshare")
        self._batches, self._suites = {}, {}
        for name in SUITES:
            self._batches[name] = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
            self._suites[name] = context.suites.add(build_expectation_suite(name))

    # -- the suites -------------------------------------------------------------------------------

    def failures(self, suite_name: str, rows: Sequence[dict]) -> list[list[Reason]]:
        """For each row, every reason it fails ``suite_name``; an empty list when it passes."""
        import pandas as pd

        found: list[list[Reason]] = [[] for _ in rows]
        if not rows:
            return found
        frame = pd.DataFrame.from_records(rows)
        frame["row_id"] = range(len(rows))
        # Batch.validate rather than ValidationDefinition.run: same checks, but the result is not
        # serialised into a results store nobody reads (a third of the cost per batch).
        batch = self._batches[suite_name].get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(self._suites[suite_name], result_format={
            "result_format": "COMPLETE", "unexpected_index_column_names": ["row_id"],
            "return_unexpected_index_query": False})
        checks = SUITES[suite_name]
        for outcome in result.results:
            if outcome.success:
                continue
            if outcome.exception_info and outcome.exception_info.get("raised_exception"):
                raise RuntimeError(f"expectation {outcome.expectation_config.type} on "
                                   f"{outcome.expectation_config.kwargs.get('column')} failed to run: "
                                   f"{outcome.exception_info.get('exception_message')}")
            check = checks[outcome.expectation_config.meta["check_index"]]
            for unexpected in outcome.result.get("unexpected_index_list") or []:
                row = int(unexpected["row_id"])
                found[row].append(_reason(check, unexpected.get(check.column)))
        return found

    # -- records ----------------------------------------------------------------------------------

    def validate(self, batch: Iterable[DecodedRecord]) -> ValidationOutcome:
        """Validate a batch of decoded API manifests and PNRs (in any mix)."""
        outcome = ValidationOutcome()
        manifests = [item for item in batch if item.schema_name == "api_manifest"]
        pnrs = [item for item in batch if item.schema_name == "pnr"]
        if manifests:
            self._validate_manifests(manifests, outcome)
        if pnrs:
            self._validate_pnrs(pnrs, outcome)
        return outcome

    def _validate_manifests(self, items: list[DecodedRecord], outcome: ValidationOutcome) -> None:
        manifest_reasons = self.failures("api_manifest", [derive.manifest_row(i.record) for i in items])
        person_rows, owners = [], []
        for item, rejected in zip(items, manifest_reasons):
            persons = item.record.get("persons") or []
            counts = outcome.counts[item.source_file]
            counts["manifests_in"] += 1
            counts["persons_in"] += len(persons)
            if rejected:
                counts["manifests_rejected"] += 1
                counts["persons_rejected"] += len(persons)
                outcome.dead_letters.append(self._dead_letter(item, "API_MANIFEST", item.record["message_id"],
                                                              rejected, item.record, len(persons)))
                outcome.reason_codes.update(r.code for r in rejected)
                if _flight_key_or_none(item.record):
                    summary = [f"manifest: {r.message}" for r in rejected]
                    outcome.unvalidated_travellers.extend(
                        (to_traveller(item, person), summary) for person in persons if person.get("person_id"))
                continue
            departure = derive.departure_date(item.record)
            for person in persons:
                person_rows.append(derive.person_row(person, departure))
                owners.append((item, person))
        person_reasons = self.failures("api_person", person_rows)
        for (item, person), rejected in zip(owners, person_reasons):
            counts = outcome.counts[item.source_file]
            key = f"{item.record['message_id']}/{person['person_id']}"
            if rejected:
                counts["persons_rejected"] += 1
                context = {k: v for k, v in item.record.items() if k != "persons"}
                outcome.dead_letters.append(self._dead_letter(item, "API_PERSON", key, rejected,
                                                              {"manifest": context, "person": person}, 1))
                outcome.reason_codes.update(r.code for r in rejected)
                outcome.unvalidated_travellers.append((to_traveller(item, person), [r.message for r in rejected]))
            else:
                counts["persons_valid"] += 1
                outcome.travellers.append(to_traveller(item, person))

    def _validate_pnrs(self, items: list[DecodedRecord], outcome: ValidationOutcome) -> None:
        for item, rejected in zip(items, self.failures("pnr", [derive.pnr_row(i.record) for i in items])):
            counts = outcome.counts[item.source_file]
            counts["pnrs_in"] += 1
            if rejected:
                counts["pnrs_rejected"] += 1
                key = item.record.get("record_locator") or item.record.get("message_id")
                outcome.dead_letters.append(self._dead_letter(item, "PNR", key, rejected, item.record, 0))
                outcome.reason_codes.update(r.code for r in rejected)
            else:
                counts["pnrs_valid"] += 1
                outcome.pnrs.append(item.record)

    def _dead_letter(self, item: DecodedRecord, kind: str, key: str, rejected: list[Reason],
                     raw: dict, person_count: int) -> dict:
        return {
            "schema_version": 1, "run_id": self.run_id, "stage": "validate", "kind": kind,
            "source_file": item.source_file, "position": item.position, "line": None,
            "record_key": key, "flight_key": _flight_key_or_none(item.record), "person_count": person_count,
            "reasons": [r.as_record() for r in rejected],
            "raw_json": json.dumps(raw, default=str, ensure_ascii=False), "raw_bytes": None,
        }


def to_traveller(item: DecodedRecord, person: dict) -> dict:
    """The ApiTraveller record for a valid person of a valid manifest."""
    manifest = item.record
    flight = manifest["flight"]
    date = derive.departure_date(manifest).isoformat()
    return {
        "schema_version": 1,
        "traveller_id": f"{manifest['message_id']}/{person['person_id']}",
        "message_id": manifest["message_id"],
        "sender": manifest["sender"],
        "message_type": manifest["message_type"],
        "message_function": manifest["message_function"],
        "source_file": item.source_file,
        "flight_key": flight_key(flight["carrier"], flight["number"], date),
        "flight_date": date,
        "carrier": flight["carrier"],
        "flight_number": flight["number"],
        "operating_carrier": flight.get("operating_carrier"),
        "in_transit": bool(flight.get("in_transit")),
        "legs": flight["legs"],
        "person": person,
    }


def _flight_key_or_none(record: dict) -> str | None:
    flight = record.get("flight")
    if flight:
        date = derive.departure_date(record)
        if flight.get("carrier") and flight.get("number") and date:
            return flight_key(flight["carrier"], flight["number"], date.isoformat())
    flights = record.get("flights") or []
    when = derive.first_segment_departure(record)
    if when and flights[0].get("carrier") and flights[0].get("number"):
        return flight_key(flights[0]["carrier"], flights[0]["number"], when.date().isoformat())
    return None


def _reason(check: Check, value: Any) -> Reason:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    magnitude = abs(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    try:
        message = check.message.format(value=value, abs_value=magnitude)
    except (ValueError, TypeError):  # a format spec that does not fit the value's type
        message = check.message.replace("{value:+d}", "{value}").format(value=value, abs_value=magnitude)
    return Reason(check.code, str(value) if check.field_from_value else check.field, message)


def pnr_flight_date(pnr: dict) -> str:
    """Local departure date of a PNR's first segment: how PNR outputs are partitioned."""
    when = derive.first_segment_departure(pnr)
    return when.date().isoformat() if when else "unknown"
