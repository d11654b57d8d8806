"""Open a unit's sealed flags file: check label, signature and seal, decode, check every flag.

``read_flags(path, keyring, trusted_signers)`` is what the analysts' review calls. Any failure
raises ``FlagFileError`` (a ``crypto.SealError``) whose message starts with the file's path and says
what failed: not a flags file, misaddressed (recipient key not held, or file moved to another
unit's folder or renamed to another run), bad or missing signature, tampered content, or flags
inside that do not belong to the file's unit and run. A file is returned whole or not at all.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import fastavro

from pipelines import crypto
from pipelines.flags import records
from pipelines.flags.writer import FILE_MAGIC, FILE_SUFFIX, file_label, flags_aad

__all__ = ["FlagFileError", "read_flags", "read_flags_bytes", "read_label"]

_NAME_RE = re.compile(r"^flags-(?P<run_id>.+)" + re.escape(FILE_SUFFIX) + r"$")


class FlagFileError(crypto.SealError):
    """A flags file failed a check; the message names the file and the check."""


def read_label(data: bytes, source: str = "") -> tuple[dict[str, Any], bytes, bytes]:
    """(label dict, label bytes, envelope) of a flags file's bytes, without decrypting anything."""
    label_name = source or "flags file"
    if not data.startswith(FILE_MAGIC) or len(data) < len(FILE_MAGIC) + 2:
        raise FlagFileError(f"{label_name}: not a paxshare flags file (bad magic)")
    (size,) = struct.unpack(">H", data[len(FILE_MAGIC):len(FILE_MAGIC) + 2])
    start = len(FILE_MAGIC) + 2
    label_bytes = data[start:start + size]
    if len(label_bytes) != size:
        raise FlagFileError(f"{label_name}: truncated flags file")
    try:
        label = json.loads(label_bytes.decode("utf-8"))
        unit_id, run_id, version = label["unit_id"], label["run_id"], int(label["schema_version"])
    except (ValueError, KeyError, TypeError):
        raise FlagFileError(f"{label_name}: flags file label is not valid") from None
    if label.get("schema") != records.SCHEMA_NAME:
        raise FlagFileError(f"{label_name}: holds {label.get('schema')!r}, not {records.SCHEMA_NAME}")
    try:
        canonical = file_label(unit_id, run_id, version)
    except ValueError as error:
        raise FlagFileError(f"{label_name}: {error}") from None
    if canonical != label_bytes:
        raise FlagFileError(f"{label_name}: flags file label is not in canonical form (altered?)")
    return label, label_bytes, data[start + size:]


def _check_location(path: str, label: Mapping[str, Any]) -> None:
    """A flags file must sit in its own unit's place: ``.../<unit>/flags-<run>.sealed`` holding that
    unit's flags for that run. Always checked: a file renamed or copied anywhere else is refused."""
    pure = PurePosixPath(path.replace(os.sep, "/"))
    match = _NAME_RE.match(pure.name)
    if not match:
        raise FlagFileError(
            f"{path}: not where a flags file belongs: its name must be flags-{label['run_id']}{FILE_SUFFIX} "
            f"in the folder of unit {label['unit_id']!r} (renamed?)"
        )
    if match.group("run_id") != label["run_id"]:
        raise FlagFileError(
            f"{path}: file name says run {match.group('run_id')!r} but the file holds run {label['run_id']!r} (renamed?)"
        )
    folder = pure.parent.name
    if folder != label["unit_id"]:
        raise FlagFileError(
            f"{path}: misaddressed: found in the folder of unit {folder!r} but sealed for unit {label['unit_id']!r}"
        )


def read_flags_bytes(
    data: bytes,
    keyring: crypto.Keyring,
    trusted_signers: Mapping[str, crypto.VerifyKey],
    source: str = "",
    *,
    expect_unit: str | None = None,
) -> list[dict[str, Any]]:
    """Flag dicts from a flags file's bytes (see ``read_flags``)."""
    name = source or "flags file"
    if not trusted_signers:
        raise ValueError("read_flags needs the pipeline's verify keys (trusted_signers); flags are always signed")
    label, label_bytes, envelope = read_label(bytes(data), name)
    if expect_unit is not None and label["unit_id"] != expect_unit:
        raise FlagFileError(f"{name}: misaddressed: sealed for unit {label['unit_id']!r}, expected {expect_unit!r}")
    if int(label["schema_version"]) > records.schema_version():
        raise FlagFileError(f"{name}: written with risk_flag schema version {label['schema_version']}, newer than this reader")
    plaintext = crypto.open_sealed(envelope, keyring, flags_aad(label_bytes), trusted_signers, source=name)
    try:
        reader = fastavro.reader(io.BytesIO(plaintext), reader_schema=records.schema())
        flags = list(reader)
    except Exception as error:  # noqa: BLE001 - any decode failure means the file is unusable
        raise FlagFileError(f"{name}: sealed content is not a valid risk_flag Avro file ({type(error).__name__})") from None
    for flag in flags:
        _check_flag(name, flag, label)
    return flags


def _check_flag(name: str, flag: Mapping[str, Any], label: Mapping[str, Any]) -> None:
    if flag["unit_id"] != label["unit_id"] or flag["run_id"] != label["run_id"]:
        raise FlagFileError(f"{name}: flag {flag['flag_id']} belongs to {flag['unit_id']}/{flag['run_id']}, not this file")
    expected = records.flag_id(flag["traveller_id"], flag["entry_id"], flag["unit_id"])
    if flag["flag_id"] != expected:
        raise FlagFileError(f"{name}: flag id {flag['flag_id']} does not match its traveller, entry and unit")


def read_flags(
    path: str | os.PathLike,
    keyring: crypto.Keyring,
    trusted_signers: Mapping[str, crypto.VerifyKey],
    *,
    expect_unit: str | None = None,
) -> list[dict[str, Any]]:
    """Decrypt, verify and return the flags of one file (dicts shaped by schemas/risk_flag.avsc).

    ``keyring``: the unit's recipient private keys (``crypto.load_private_keys``; keep old
    generations so files from before a rotation still open). ``trusted_signers``: the pipeline's
    verify keys by key id (``crypto.load_verify_keys``); required, since every flags file is signed.
    ``expect_unit``: refuse a file sealed for any other unit.
    """
    path_text = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise FlagFileError(f"{path_text}: flags file not found") from None
    label, _, _ = read_label(data, path_text)
    _check_location(path_text, label)
    return read_flags_bytes(data, keyring, trusted_signers, path_text, expect_unit=expect_unit)
