"""The sharing engine: one source record in, one shared record per arrangement it falls under out.

For each arrangement, in this order and never otherwise:

1. sensitive filter (``sensitive``): sensitive SSRs and free text leave the record first;
2. scope (``scope``): data kind, person kind, flights, sharing mode (everyone, or only flagged
   travellers);
3. allow-list and treatments: a new record is *built* from the allowed paths only (nothing is
   deleted from a copy, so a field the rules do not name cannot leak), each value kept, masked,
   generalised to a year or replaced by a keyed pseudonym;
4. envelope: arrangement id, rules version and digest, onward-transfer marking, the fields sent
   and a SHA-256 content hash over the whole shared record (``schemas/shared_record.avsc``).

Pseudonyms are HMAC-SHA256 under a secret that belongs to one arrangement (``pseudonym_key`` in
the keys directory), over the upper-cased value: the same passport number gets the same pseudonym
in the API and PNR data sent under one arrangement, and unrelated pseudonyms under two, so two
partners cannot join what they received. The record id is keyed the same way.

Pure Python, deterministic (same input, rules, secrets, run id and time give the same bytes), no
Beam import. Everything that depends only on the rules is worked out once per engine: each
arrangement's allow-list becomes a tree of projection closures (one per data kind) with its
treatments bound in, the HMAC key schedule is computed once and copied per value, and the parts
of the envelope that never change are built once; per record there is one projection, one
canonical JSON of the payload and one of the envelope (for the content hash). ``SharingEngine.from_dirs(rules_dir, keys_dir)`` is the usual entry point.
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
import json
import re
import secrets as _secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from pipelines import storage
from pipelines.message_functions import WITHDRAWAL_REASONS, names_travellers
from pipelines.sharing.paths import FULL_NAME_FOR_KIND, split_path
from pipelines.sharing.rules import Arrangement, Treatment, load_rules
from pipelines.sharing.scope import Itinerary, in_scope, itinerary_of
from pipelines.sharing.sensitive import SensitiveFilter

SHARED_SCHEMA_VERSION = 1
SHARED_RECORD_FULL_NAME = "paxshare.sharing.SharedRecord"
PSEUDONYM_PREFIX = "PSN-"
#: data kind and payload schema of a withdrawal notice (see ``SharingEngine.withdrawal_notice``)
WITHDRAWAL = "WITHDRAWAL"
WITHDRAWAL_SCHEMA = "paxshare.sharing.Withdrawal"

MASK = "****"
_DATE = re.compile(r"^(\d{4})-(\d{2})")
_PERSON_KIND = {"PASSENGER": "PASSENGER", "IN_TRANSIT_PASSENGER": "PASSENGER", "CREW": "CREW", "IN_TRANSIT_CREW": "CREW"}


def canonical_json(value) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the form hashed and sent."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(shared: dict) -> str:
    """SHA-256 hex over the canonical JSON of a shared record without its ``content_hash``."""
    body = {k: v for k, v in shared.items() if k != "content_hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# pseudonym secrets


class KeyError_(LookupError):
    """A pseudonym secret is missing or unusable."""


def read_secret_bytes(data: bytes, source: str) -> bytes:
    """A pseudonym secret from a key file's bytes: hex text of at least 32 bytes."""
    try:
        raw = bytes.fromhex(data.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError) as exc:
        raise KeyError_(f"pseudonym key {source} unreadable: {exc.__class__.__name__}") from None
    if len(raw) < 32:
        raise KeyError_(f"pseudonym key {source} is shorter than 32 bytes")
    return raw


def check_secret_mode(path: str | Path) -> None:
    """A secret file on the local disk must be readable by its owner only (0600 or stricter)."""
    import os
    import stat

    if os.name != "posix" or "://" in str(path):
        return
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        raise KeyError_(f"pseudonym key {path} is readable by group or others (mode {mode:04o}); "
                        f"run chmod 600 on it")


def read_secret(path: str | Path) -> bytes:
    """A pseudonym secret file on any filesystem (see ``read_secret_bytes``); a local one is
    refused unless owner-only."""
    try:
        check_secret_mode(path)
        data = storage.read_bytes(path)
    except OSError as exc:
        raise KeyError_(f"pseudonym key {path} unreadable: {exc.__class__.__name__}") from None
    return read_secret_bytes(data, str(path))


def create_secret(path: Path) -> bool:
    """Write a fresh 32-byte secret to ``path`` (mode 0600) unless one exists; True if written."""
    import os

    if path.exists():
        return False
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
        os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others, not even briefly
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(_secrets.token_hex(32) + "\n")
    return True


def load_secrets(arrangements: Iterable[Arrangement], keys_dir: str | Path) -> dict[str, bytes]:
    folder = str(keys_dir)
    out = {}
    for a in arrangements:
        path = storage.join(folder, a.pseudonym_key)
        if not storage.exists(path):
            raise KeyError_(f"arrangement {a.id}: pseudonym key {path} not found "
                            f"(create it with 'paxshare rules check --init-keys {folder}')")
        out[a.id] = read_secret(path)
    return out


# --------------------------------------------------------------------------------------------
# compiled allow-lists


@dataclass(frozen=True)
class _Branch:
    array: bool
    sub: dict


def _compile(treatments: Iterable[Treatment]) -> dict:
    root: dict = {}
    for t in treatments:
        if t.kind == "drop":
            continue
        parts = split_path(t.path)
        node = root
        for name, is_array in parts[:-1]:
            branch = node.get(name)
            if branch is None:
                branch = node[name] = _Branch(is_array, {})
            node = branch.sub
        node[parts[-1][0]] = t
    return root


class _Pseudonymiser:
    def __init__(self, secret: bytes):
        self._base = _hmac.new(secret, digestmod=hashlib.sha256)  # key schedule once; copied per value

    def digest(self, message: bytes) -> str:
        mac = self._base.copy()
        mac.update(message)
        return mac.hexdigest()

    def pseudonym(self, value: str) -> str:
        return PSEUDONYM_PREFIX + self.digest(b"value\x00" + value.strip().upper().encode("utf-8"))[:32]

    def record_id(self, kind: str, source_id: str) -> str:
        return self.digest(f"record\x00{kind}\x00{source_id}".encode("utf-8"))[:32]


def _treater(t: Treatment, pseudo: _Pseudonymiser):
    """The treatment as a function of the value alone (None for ``keep``: the value as is); a
    None value stays None, a value that is not a date generalises to None."""
    if t.kind == "keep":
        return None  # the value as is
    if t.kind == "mask":
        keep_last = t.keep_last

        def mask(value):
            if value is None:
                return None
            text = str(value)
            return MASK + (text[-keep_last:] if keep_last and len(text) > keep_last else "")
        return mask
    if t.kind == "generalise":
        year_only = t.to == "year"
        match_date = _DATE.match

        def generalise(value):
            if value is None:
                return None
            match = match_date(str(value))
            if not match:
                return None
            return match.group(1) if year_only else f"{match.group(1)}-{match.group(2)}"
        return generalise
    if t.kind == "pseudonym":
        pseudonym = pseudo.pseudonym

        def pseudonymise(value):
            return None if value is None else pseudonym(str(value))
        return pseudonymise
    raise ValueError(t.kind)


def _projector(tree: dict, pseudo: _Pseudonymiser):
    """``project(src, sent)``: a new dict holding only the allowed paths of ``src`` (treated), built
    from the compiled allow-list ``tree``; adds each path actually sent (not None, not []) to
    ``sent``. A list under a leaf path is treated item by item."""
    leaves, branches = [], []
    for name, spec in tree.items():
        if isinstance(spec, _Branch):
            branches.append((name, spec.array, _projector(spec.sub, pseudo)))
        else:
            leaves.append((name, _treater(spec, pseudo), spec.path))
    leaves, branches = tuple(leaves), tuple(branches)

    def project(src: dict, sent: set) -> dict:
        out = {}
        for name, treat, path in leaves:
            if name not in src:
                continue
            value = src[name]
            if treat is None:
                out[name] = value
            elif isinstance(value, list):
                out[name] = [treat(v) for v in value]
            else:
                out[name] = treat(value)
            if value is not None and value != []:
                sent.add(path)
        for name, array, sub in branches:
            if name not in src:
                continue
            value = src[name]
            if value is None:
                out[name] = None
            elif array:
                out[name] = [sub(item, sent) for item in value]
            else:
                out[name] = sub(value, sent)
        return out  # key order is irrelevant: the payload is sent as canonical (sorted) JSON

    return project


class _Compiled:
    def __init__(self, arrangement: Arrangement, secret: bytes):
        self.a = arrangement
        self.pseudo = _Pseudonymiser(secret)
        self.filter = SensitiveFilter(arrangement.extra_ssr_codes, arrangement.free_text)
        self.trees = {kind: _compile(ts) for kind, ts in arrangement.fields.items()}
        self.projectors = {kind: _projector(tree, self.pseudo) for kind, tree in self.trees.items()}
        self.treatments = {kind: {t.path: t.kind if t.kind != "mask" or not t.keep_last else f"mask(keep_last={t.keep_last})"
                                  for t in ts if t.kind != "drop"}
                           for kind, ts in arrangement.fields.items()}
        if arrangement.onward_transfer == "prohibited":
            lead = f"NO ONWARD TRANSFER. Provided by {arrangement.provider} to {arrangement.recipient} under {arrangement.rules_version}."
        else:
            lead = (f"ONWARD TRANSFER ONLY CASE BY CASE WITH PRIOR CONSENT OF {arrangement.provider}. "
                    f"Provided to {arrangement.recipient} under {arrangement.rules_version}.")
        self.marking = (lead + " " + arrangement.onward_marking).strip()
        self.purpose = ",".join(arrangement.purpose_categories)

    def envelope(self, record_id, kind, source_schema, run_id, flight_date, departure, scope_reason, flagged,
                 payload: dict, treatments: dict, shared_at) -> dict:
        """A shared record of this arrangement around ``payload``, with its content hash;
        ``treatments`` names each path sent (``fields_sent``)."""
        a = self.a
        shared = {
            "schema_version": SHARED_SCHEMA_VERSION,
            "record_id": record_id,
            "run_id": run_id,
            "arrangement_id": a.id,
            "rules_version": a.rules_version,
            "rules_digest": a.digest,
            "provider": a.provider,
            "recipient": a.recipient,
            "data_kind": kind,
            "source_schema": source_schema,
            "flight_date": flight_date,
            "departure_utc": departure,
            "scope_reason": scope_reason,
            "sharing_mode": a.sharing_mode,
            "flagged": bool(flagged),
            "purpose": self.purpose,
            "onward_transfer": self.marking,
            "fields_sent": list(treatments),
            "treatments": treatments,
            "payload_json": canonical_json(payload),
            "shared_at_utc": shared_at,
            "masked_fields": [],
            "masked_at_utc": None,
        }
        shared["content_hash"] = content_hash(shared)
        return shared


# --------------------------------------------------------------------------------------------
# the engine


@dataclass(frozen=True)
class Share:
    """One disclosure: the shared record and the audit entry that records it."""

    record: dict
    audit: dict


class SharingEngine:
    """Applies a set of arrangements to API travellers and PNRs."""

    def __init__(self, arrangements: Iterable[Arrangement], secrets: Mapping[str, bytes], provider: str | None = None):
        self.arrangements = [a for a in arrangements if provider is None or a.provider == provider]
        missing = [a.id for a in self.arrangements if a.id not in secrets]
        if missing:
            raise KeyError_(f"no pseudonym secret for arrangement(s) {', '.join(missing)}")
        self._compiled = [_Compiled(a, secrets[a.id]) for a in self.arrangements]
        self._by_kind = {kind: [c for c in self._compiled if kind in c.a.data] for kind in ("API", "PNR")}
        self._compiled_by_id = {c.a.id: c for c in self._compiled}
        self._itineraries: dict = {}

    @classmethod
    def from_dirs(cls, rules_dir: str | Path | None, keys_dir: str | Path, provider: str | None = None) -> "SharingEngine":
        arrangements = load_rules(rules_dir)
        chosen = [a for a in arrangements if provider is None or a.provider == provider]
        return cls(chosen, load_secrets(chosen, keys_dir), provider)

    def arrangement_ids(self) -> list[str]:
        return [a.id for a in self.arrangements]

    # -- per record -------------------------------------------------------------------------

    def _itinerary(self, legs, marked_in_transit: bool = False) -> Itinerary:
        """``itinerary_of``, remembered per route: records on one flight share their itinerary."""
        key = (marked_in_transit, *((leg.get("departure_airport"), leg.get("arrival_airport")) for leg in legs))
        found = self._itineraries.get(key)
        if found is None:
            if len(self._itineraries) > 50_000:
                self._itineraries.clear()
            found = self._itineraries[key] = itinerary_of(legs, marked_in_transit)
        return found

    def _subject(self, kind: str, record: dict) -> tuple | None:
        """What the arrangements look at in a record: ``(source id, person kind, itinerary, flight
        date, departure)``; None for a person named by a cancellation, who is not travelling."""
        if kind == "API":
            if not names_travellers(record.get("message_function")):
                return None
            role = record.get("person", {}).get("role") or "PASSENGER"
            itinerary = self._itinerary(record.get("legs") or (), bool(record.get("in_transit")) or role.startswith("IN_TRANSIT"))
            legs = record.get("legs") or [{}]
            flight_date = record.get("flight_date") or ""
            departure = legs[0].get("departure_utc") or (f"{flight_date}T00:00:00Z" if flight_date else "")
            return (str(record.get("traveller_id")), _PERSON_KIND.get(role, "PASSENGER"), itinerary, flight_date,
                    departure)
        if kind == "PNR":  # PNRs concern passengers
            segments = record.get("flights") or []
            first = (segments[0].get("departure_local") or "") if segments else ""
            flight_date = first[:10]
            departure = f"{flight_date}T00:00:00Z" if flight_date else ""
            return (f"{record.get('message_id')}/{record.get('record_locator')}", "PASSENGER",
                    self._itinerary(segments), flight_date, departure)
        raise ValueError(f"unknown data kind {kind!r}")

    def _in_scope(self, kind: str, person_kind: str, itinerary: Itinerary):
        """``(compiled arrangement, scope reason)`` for each arrangement of ``kind`` that takes
        this kind of person on this itinerary, flagged or not."""
        for c in self._by_kind[kind]:
            if person_kind in c.a.persons:
                reason = in_scope(c.a, itinerary)
                if reason is not None:
                    yield c, reason

    def may_share(self, kind: str, record: dict) -> bool:
        """Whether some arrangement could share ``record``, flagged or not: when False, ``share``
        returns nothing for it whatever its flags (a pipeline need not wait for them)."""
        subject = self._subject(kind, record)
        return subject is not None and next(self._in_scope(kind, subject[1], subject[2]), None) is not None

    def share_traveller(self, traveller: dict, flagged: bool = False, run_id: str = "", shared_at: str = "") -> list[Share]:
        """Shared records (with audit entries) for one ApiTraveller dict; none for a person named
        by a cancellation, who is not travelling (see ``message_functions``)."""
        subject = self._subject("API", traveller)
        return [] if subject is None else self._share("API", traveller, subject, flagged, run_id, shared_at)

    def share_pnr(self, pnr: dict, flagged: bool = False, run_id: str = "", shared_at: str = "",
                  newly_flagged: bool = False) -> list[Share]:
        """Shared records (with audit entries) for one Pnr dict; PNRs concern passengers.
        ``newly_flagged``: shared before, unflagged, and flagged since (a stream, where the PNR
        came before the API list that flagged a traveller on it): only the ``flagged_only``
        arrangements, the others have it already."""
        return self._share("PNR", pnr, self._subject("PNR", pnr), flagged or newly_flagged, run_id, shared_at,
                           only_flagged_only=newly_flagged)

    def _share(self, kind, record, subject: tuple, flagged, run_id, shared_at, only_flagged_only: bool = False) -> list[Share]:
        source_id, person_kind, itinerary, flight_date, departure = subject
        out = []
        filtered_cache: dict = {}
        for c, reason in self._in_scope(kind, person_kind, itinerary):
            a = c.a
            if a.sharing_mode == "flagged_only" and not flagged:
                continue
            if only_flagged_only and a.sharing_mode != "flagged_only":
                continue
            key = c.filter.key()
            if key not in filtered_cache:  # sensitive filter first, once per distinct policy
                filtered_cache[key] = c.filter.apply_pnr(record) if kind == "PNR" else c.filter.apply_api(record)
            clean = filtered_cache[key]
            sent: set = set()
            payload = c.projectors[kind](clean, sent)
            shared = c.envelope(c.pseudo.record_id(kind, source_id), kind, FULL_NAME_FOR_KIND[kind], run_id,
                                flight_date or None, departure or None, reason, flagged, payload,
                                {p: c.treatments[kind][p] for p in sorted(sent)}, shared_at)
            out.append(Share(shared, audit_entry(shared, source_id)))
        return out

    def withdrawal_notice(self, ref: dict, reason: str, run_id: str = "", shared_at: str = "") -> Share:
        """The notice that withdraws a record sent earlier (``ref``, from ``disclosure_ref`` of that
        record), for ``reason`` (SUPERSEDED, REMOVED or CANCELLED: see ``io/flights.py``). It goes
        to the same recipient under the same arrangement, with the same envelope, and carries
        nothing of the person: only the earlier record's id and the reason. Its own record id is
        keyed from the earlier one, so the same withdrawal always gets the same id."""
        if reason not in WITHDRAWAL_REASONS:
            raise ValueError(f"unknown withdrawal reason {reason!r} (one of {', '.join(WITHDRAWAL_REASONS)})")
        c = self._compiled_by_id[ref["arrangement_id"]]
        payload = {"reason": reason, "withdrawn_record_id": ref["record_id"]}
        notice = c.envelope(c.pseudo.record_id(WITHDRAWAL, ref["record_id"]), WITHDRAWAL, WITHDRAWAL_SCHEMA, run_id,
                            ref.get("flight_date"), ref.get("departure_utc"), ref["scope_reason"], ref.get("flagged"),
                            payload, {name: "keep" for name in sorted(payload)}, shared_at)
        entry = dict(audit_entry(notice, ref["record_id"]), event="withdraw", withdraws_record_id=ref["record_id"],
                     withdrawn_data_kind=ref["data_kind"], reason=reason)
        return Share(notice, entry)

    def share(self, kind: str, record: dict, flagged: bool = False, run_id: str = "", shared_at: str = "",
              newly_flagged: bool = False) -> list[Share]:
        """``share_traveller`` for kind ``API``, ``share_pnr`` for ``PNR``."""
        if kind == "API":
            return self.share_traveller(record, flagged, run_id, shared_at)
        if kind == "PNR":
            return self.share_pnr(record, flagged, run_id, shared_at, newly_flagged)
        raise ValueError(f"unknown data kind {kind!r}")


def disclosure_ref(shared: dict) -> dict:
    """What a later withdrawal notice needs of a record sent (``SharingEngine.withdrawal_notice``):
    its arrangement, record id and kind, the clock of its retention schedule and its scope."""
    return {name: shared[name] for name in ("arrangement_id", "recipient", "record_id", "data_kind", "flight_date",
                                            "departure_utc", "flagged", "scope_reason")}


def audit_entry(shared: dict, source_id: str) -> dict:
    """What the audit log records about one disclosure (before chaining)."""
    return {
        "event": "share",
        "time_utc": shared["shared_at_utc"],
        "run_id": shared["run_id"],
        "recipient": shared["recipient"],
        "provider": shared["provider"],
        "arrangement_id": shared["arrangement_id"],
        "rules_version": shared["rules_version"],
        "rules_digest": shared["rules_digest"],
        "data_kind": shared["data_kind"],
        "record_id": shared["record_id"],
        "source_id": source_id,
        "flagged": shared["flagged"],
        "scope_reason": shared["scope_reason"],
        "fields_sent": shared["fields_sent"],
        "content_hash": shared["content_hash"],
        # what was sent, whatever the run and time: a later disclosure with the same payload to
        # the same recipient under the same arrangement is logged as a re-send of this one
        "payload_sha256": hashlib.sha256(shared["payload_json"].encode("utf-8")).hexdigest(),
    }
