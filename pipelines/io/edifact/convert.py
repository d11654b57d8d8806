"""Convert UN/EDIFACT bytes to paxshare records, and write them as Avro files.

``convert_bytes`` is pure (bytes in, records out) so a streaming reader can reuse it; it never
raises. Each message is judged alone: one that cannot be read becomes a dead letter (kind
``EDIFACT_MESSAGE``, stage ``convert``) naming the segment, line and reason, with its original
bytes, and the rest of the file still converts. Input with no EDIFACT at all becomes one
dead letter of kind ``FILE``.

``message_id`` is ``sender/interchange control reference/message reference`` (UNB, UNB, UNH);
a repeat within one input gets ``#2``, ``#3``... so ids stay unique.
"""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path
from typing import Iterable, NamedTuple

from pipelines.io.edifact.envelope import PAXLST, PNRGOV, Message, split_messages
from pipelines.io.edifact.errors import MessageError
from pipelines.io.edifact.paxlst import ROLES, parse_paxlst
from pipelines.io.edifact.pnrgov import parse_pnrgov
from pipelines.io.edifact.tokenizer import decode, tokenize
from pipelines import reasons

RAW_BYTES_LIMIT = 64 * 1024
STAGE = "convert"
INTERNAL_ERROR = "internal error"


class ConversionResult(NamedTuple):
    """What one input gave: API manifests, PNRs, dead letters, and file-level warnings."""

    manifests: list[dict]
    pnrs: list[dict]
    dead_letters: list[dict]
    warnings: list[str]


def convert_bytes(data: bytes, source_name: str, run_id: str = "convert") -> ConversionResult:
    """Convert one input's bytes; never raises (a failure is a dead letter)."""
    result = ConversionResult([], [], [], [])
    collecting = gc.isenabled()
    gc.disable()  # millions of small, acyclic objects: cyclic GC passes would triple the time
    try:
        _convert(data, source_name, run_id, result)
    except Exception as error:  # noqa: BLE001 - the last guard: no input may crash the converter
        result.dead_letters.append(_dead_letter(
            run_id, source_name, "FILE", None, None, None, 0,
            [_reason(reasons.BAD_FORMAT, None, f"{INTERNAL_ERROR}: {type(error).__name__}: {error}")],
            data[:RAW_BYTES_LIMIT]))
    finally:
        if collecting:
            gc.enable()
    return result


def _convert(data: bytes, source_name: str, run_id: str, result: ConversionResult) -> None:
    text, encoding = decode(data)
    tokens = tokenize(text)
    result.warnings.extend(f"{source_name}: {warning}" for warning in tokens.warnings)
    messages = split_messages(tokens)
    if not messages:
        result.dead_letters.append(_dead_letter(
            run_id, source_name, "FILE", None, None, None, 0,
            [_reason(reasons.BAD_FORMAT, None, f"{source_name}: no UN/EDIFACT message found "
                                               f"({len(data)} bytes)")], data[:RAW_BYTES_LIMIT]))
        return

    def byte_offset(offset: int) -> int:
        return offset if encoding == "latin-1" else len(text[:offset].encode("utf-8"))

    used: dict[str, int] = {}
    for message in messages:
        message_id = _unique(_message_id(message, source_name), used)
        try:
            _convert_message(message, message_id, source_name, result)
        except MessageError as error:
            result.dead_letters.append(_message_dead_letter(
                run_id, source_name, message, message_id, data, byte_offset,
                _reason(error.code, error.field, f"{source_name}: {error}"), error.line))
        except Exception as error:  # noqa: BLE001 - a converter bug must not lose the rest of the file
            result.dead_letters.append(_message_dead_letter(
                run_id, source_name, message, message_id, data, byte_offset,
                _reason(reasons.BAD_FORMAT, None, f"{source_name}: {INTERNAL_ERROR}: {type(error).__name__}: {error}"),
                None))


def _convert_message(message: Message, message_id: str, source_name: str, result: ConversionResult) -> None:
    if message.message_type == PAXLST:
        result.manifests.append(parse_paxlst(message, message_id))
    elif message.message_type == PNRGOV:
        pnrs, warnings = parse_pnrgov(message, message_id)
        result.pnrs.extend(pnrs)
        result.warnings.extend(f"{source_name}: message {message_id}: {warning}" for warning in warnings)
    else:
        what = f"message type {message.message_type!r} is not PAXLST or PNRGOV" if message.message_type \
            else "message type unknown (no UNH type, envelope hint or recognisable segments)"
        raise MessageError(reasons.BAD_FORMAT, what, message.first_segment)


def _message_id(message: Message, source_name: str) -> str:
    envelope = message.envelope
    sender = envelope.sender or envelope.group_sender or "UNKNOWN"
    control = envelope.control_reference or f"{Path(source_name).name}@{envelope.line or message.line or 0}"
    reference = message.reference or f"line{message.line or 0}"
    return f"{sender}/{control}/{reference}"


def _unique(message_id: str, used: dict[str, int]) -> str:
    count = used.get(message_id, 0) + 1
    used[message_id] = count
    return message_id if count == 1 else f"{message_id}#{count}"


def _reason(code: str, field: str | None, message: str) -> dict:
    return {"code": code, "field": field, "message": message}


def _dead_letter(run_id: str, source_name: str, kind: str, position: int | None, line: int | None,
                 record_key: str | None, person_count: int, reason_list: list[dict], raw: bytes | None) -> dict:
    return {
        "schema_version": 1, "run_id": run_id, "stage": STAGE, "kind": kind, "source_file": source_name,
        "position": position, "line": line, "record_key": record_key, "flight_key": None,
        "person_count": person_count, "reasons": reason_list, "raw_json": None, "raw_bytes": raw,
    }


def _person_count(message: Message) -> int:
    """Persons the message holds: NAD person groups (PAXLST) or travellers defined by TIF (PNRGOV)."""
    if message.message_type == PNRGOV:
        count, in_flights = 0, False
        for segment in message.segments:
            if segment.tag == "SRC":
                in_flights = False
            elif segment.tag == "TVL":
                in_flights = True
            elif segment.tag == "TIF" and not in_flights:
                count += 1
        return count
    return sum(1 for segment in message.segments if segment.tag == "NAD" and segment.get(0, 0).strip() in ROLES)


def _message_dead_letter(run_id: str, source_name: str, message: Message, message_id: str, data: bytes,
                         byte_offset, reason: dict, line: int | None) -> dict:
    """A dead letter for one message, with its original bytes (UNH to UNT, or to the end)."""
    start = byte_offset(message.offset)
    end = len(data) if message.truncated else byte_offset(message.end_offset)
    if end <= start:
        end = len(data)
    return _dead_letter(run_id, source_name, "EDIFACT_MESSAGE", start, line or message.line, message_id,
                        _person_count(message), [reason], data[start:end][:RAW_BYTES_LIMIT])


# -- files ---------------------------------------------------------------------------------

OUTPUTS = (("api", "api_manifest", "manifests"), ("pnr", "pnr", "pnrs"), ("dead_letter", "dead_letter", "dead_letters"))


def write_result(result: ConversionResult, out_dir: str | os.PathLike, stem: str) -> dict[str, str]:
    """Write ``api/``, ``pnr/`` and ``dead_letter/<stem>.avro`` (those with records); return paths.

    A file of a kind this input no longer produces is removed, so a re-run replaces, not adds.
    """
    from pipelines.io.avro_files import write_records

    written: dict[str, str] = {}
    for folder, schema_name, attribute in OUTPUTS:
        records = getattr(result, attribute)
        path = Path(out_dir) / folder / f"{stem}.avro"
        if not records:
            if path.exists():
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".avro.tmp")
        with open(temporary, "wb") as handle:
            write_records(handle, schema_name, records)
        temporary.replace(path)
        written[folder] = str(path)
    return written


def summarise(source: str, result: ConversionResult, outputs: dict[str, str]) -> dict:
    """Counts for the JSON summary: what came in and where it went."""
    return {
        "input": source,
        "manifests": len(result.manifests),
        "persons": sum(len(manifest["persons"]) for manifest in result.manifests),
        "pnrs": len(result.pnrs),
        "pnr_travellers": sum(len(pnr["travellers"]) for pnr in result.pnrs),
        "dead_letters": len(result.dead_letters),
        "dead_letter_reasons": [reason["message"] for letter in result.dead_letters for reason in letter["reasons"]],
        "warnings": result.warnings,
        "record_warnings": sum(len(record["warnings"]) for record in [*result.manifests, *result.pnrs]),
        "record_warning_messages": [f"{_record_label(record)}: {warning}"
                                    for record in [*result.manifests, *result.pnrs] for warning in record["warnings"]],
        "file_warnings": len(result.warnings),
        "all_warnings": len(result.warnings) + sum(len(r["warnings"]) for r in [*result.manifests, *result.pnrs]),
        "outputs": outputs,
    }


def _record_label(record: dict) -> str:
    """How a warning names its record: PNR locator, or the manifest's message reference."""
    if "record_locator" in record:
        return f"PNR {record.get('record_locator') or record.get('message_id')}"
    return f"manifest {record.get('message_id')}"


def write_summary(out_dir: str | os.PathLike, entries: Iterable[dict]) -> str:
    """``DIR/convert_summary.json``: one entry per input plus totals."""
    entries = list(entries)
    totals = {key: sum(entry[key] for entry in entries)
              for key in ("manifests", "persons", "pnrs", "pnr_travellers", "dead_letters", "file_warnings",
                          "record_warnings", "all_warnings")}
    path = Path(out_dir) / "convert_summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"inputs": entries, "totals": totals}, indent=2) + "\n", encoding="utf-8")
    return str(path)
