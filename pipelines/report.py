"""The run report: counts per input file and per stage that must reconcile.

For every input file: records decoded = manifests + PNRs in; persons in = valid + rejected +
duplicate (a rejected manifest rejects all its persons; a copy of a record already read, by
content hash, is a duplicate and processed once); PNRs in = valid + rejected + duplicate. A file
that could not be read, or only partly, is listed with its problem. A stage that did not run
(no watchlists, keys or rules) is listed under ``not_run`` with what it needs. ``reconciled`` is true only when
every file balances. Pure functions: the pipeline gathers the numbers, this module judges them.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

FILE_COUNT_KEYS = ("records_decoded", "manifests_in", "manifests_rejected", "manifests_duplicate", "persons_in",
                   "persons_valid", "persons_rejected", "persons_duplicate", "pnrs_in", "pnrs_valid",
                   "pnrs_rejected", "pnrs_duplicate")


def build_report(run_id: str, inputs: list[str], file_stats: Iterable[tuple[str, dict]],
                 file_counts: Iterable[tuple[str, dict]], reason_codes: dict[str, int],
                 stages: dict[str, dict] | None = None) -> dict:
    """Assemble the machine-readable report from what the pipeline collected."""
    files: dict[str, dict] = {}
    for path, stat in file_stats:
        files[path] = {key: 0 for key in FILE_COUNT_KEYS} | {
            "status": stat["status"], "problem": stat.get("problem"), "problem_code": stat.get("problem_code"),
            "records_decoded": stat["records_decoded"]}
    for path, counts in file_counts:
        entry = files.setdefault(path, {key: 0 for key in FILE_COUNT_KEYS} | {"status": "ok", "problem": None,
                                                                              "problem_code": None})
        for key, value in counts.items():
            if key != "records_decoded":
                entry[key] += value
    for entry in files.values():
        entry["reconciled"] = reconciles(entry)
    totals = Counter({key: 0 for key in FILE_COUNT_KEYS})
    for entry in files.values():
        totals.update({key: entry[key] for key in FILE_COUNT_KEYS})
    statuses = Counter(entry["status"] for entry in files.values())
    return {
        "run_id": run_id,
        "inputs": inputs,
        "files": dict(sorted(files.items())),
        "totals": dict(totals) | {
            "files": len(files), "files_ok": statuses.get("ok", 0),
            "files_partly_read": statuses.get("partly_read", 0), "files_rejected": statuses.get("rejected", 0)},
        "rejection_reasons": dict(sorted(reason_codes.items())),
        "stages": stages or {},
        "reconciled": all(entry["reconciled"] for entry in files.values()),
    }


def timing(started: float, finished: float, persons: int) -> dict:
    """The report's timing section from the run's start and end (epoch seconds)."""
    import datetime as dt

    seconds = max(finished - started, 0.0)
    return {"started_utc": dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(seconds, 3), "persons_per_second": persons / seconds if seconds else 0.0}


def window_snapshot(run_id: str, start, end, pane: int, counts: dict[str, dict]) -> dict:
    """A stream's report for one window pane, from its counts by part (``intake``, ``validation``,
    ``rejection_reasons``, and the stage counts ``screening``, ``flags``, ``sharing``).

    Reconciled when every message is accounted for once: in = processed + withdrawing only
    (cancellations) + duplicate + late + superseded; the processed ones are the manifests and PNRs
    validated; and persons in = valid + rejected."""
    intake, validation = dict(counts.get("intake", {})), dict(counts.get("validation", {}))
    get = lambda part, key: part.get(key, 0)  # noqa: E731
    messages_in = get(intake, "messages_in")
    accounted = sum(get(intake, f"messages_{k}") for k in ("process", "duplicate", "late", "superseded"))
    validated = get(validation, "manifests_in") + get(validation, "pnrs_in")
    checks = {
        "messages in = processed + duplicate + late + superseded": messages_in == accounted,
        "records decoded = messages in": get(intake, "records_decoded") == messages_in,
        "processed = manifests and PNRs validated":
            get(intake, "messages_process") - get(intake, "messages_withdrawing_only") == validated,
        "persons in = valid + rejected":
            get(validation, "persons_in") == get(validation, "persons_valid") + get(validation, "persons_rejected"),
        "PNRs in = valid + rejected":
            get(validation, "pnrs_in") == get(validation, "pnrs_valid") + get(validation, "pnrs_rejected"),
    }
    return {
        "run_id": run_id, "window_start": start.isoformat(), "window_end": end.isoformat(), "pane": pane,
        "intake": intake, "validation": validation,
        "rejection_reasons": dict(sorted(counts.get("rejection_reasons", {}).items())),
        "stages": {k: v for k, v in counts.items() if k not in ("intake", "validation", "rejection_reasons")},
        "checks": checks, "reconciled": all(checks.values()),
    }


def latest_panes(snapshots: Iterable[dict]) -> dict[str, dict]:
    """The last pane of each window (window start -> snapshot) among a stream's report snapshots:
    a later pane, fired by late messages, holds the whole window again, so the last one counts."""
    last: dict[str, dict] = {}
    for snapshot in snapshots:
        start = snapshot["window_start"]
        if start not in last or snapshot["pane"] > last[start]["pane"]:
            last[start] = snapshot
    return last


def stages_not_run(watchlists, keys, rules) -> dict[str, str]:
    """The optional stages a run skipped, and why, so that a report never looks complete when
    screening, flags or sharing did not happen."""
    skipped = {}
    if not watchlists:
        skipped["screening"] = "no --watchlists given: nobody was screened"
    if not (watchlists and keys):
        skipped["flags"] = "needs --watchlists and --keys: no risk flag was raised"
    if not rules:
        skipped["sharing"] = "no --rules given: nothing was shared with partners"
    return skipped


def reconciles(entry: dict) -> bool:
    """True when nothing in this file's counts went missing."""
    return (entry["records_decoded"] == entry["manifests_in"] + entry["pnrs_in"]
            and entry["persons_in"] == entry["persons_valid"] + entry["persons_rejected"] + entry["persons_duplicate"]
            and entry["pnrs_in"] == entry["pnrs_valid"] + entry["pnrs_rejected"] + entry["pnrs_duplicate"]
            and entry["manifests_rejected"] <= entry["manifests_in"])


def format_summary(report: dict) -> str:
    """A few lines for the terminal: per stage, then any file that needs attention."""
    totals = report["totals"]
    lines = [
        f"paxshare run {report['run_id']}: {'RECONCILED' if report['reconciled'] else 'NOT RECONCILED'}",
        f"  files      {totals['files']:>10,}  ok {totals['files_ok']:,}, partly read "
        f"{totals['files_partly_read']:,}, rejected {totals['files_rejected']:,}",
        f"  manifests  {totals['manifests_in']:>10,}  rejected whole {totals['manifests_rejected']:,}",
        f"  persons    {totals['persons_in']:>10,}  valid {totals['persons_valid']:,}, rejected "
        f"{totals['persons_rejected']:,}, duplicate {totals['persons_duplicate']:,}",
        f"  PNRs       {totals['pnrs_in']:>10,}  valid {totals['pnrs_valid']:,}, rejected {totals['pnrs_rejected']:,}, "
        f"duplicate {totals['pnrs_duplicate']:,}",
    ]
    for stage, counts in report.get("stages", {}).items():
        shown = ", ".join(f"{key} {value:,}" if isinstance(value, int) else f"{key} {value}"
                          for key, value in counts.items())
        lines.append(f"  {stage:<10} {shown}")
    for stage, why in report.get("not_run", {}).items():
        lines.append(f"  {stage:<10} NOT RUN: {why}")
    if "audit" in report:
        audit = report["audit"]
        lines.append(f"  audit      head {audit['head']} after entry {audit['entries']:,}, signed checkpoint in "
                     f"this report: keep it (paxshare audit verify OUT/audit --keys KEYS --checkpoint REPORT)")
    if report["rejection_reasons"]:
        lines.append("  reasons    " + ", ".join(f"{code} {n:,}" for code, n in report["rejection_reasons"].items()))
    for path, entry in report["files"].items():
        if entry["status"] != "ok" or not entry["reconciled"]:
            lines.append(f"  ! {path}: {entry['status']}" + (f": {entry['problem']}" if entry["problem"] else "")
                         + ("" if entry["reconciled"] else " (counts do not reconcile)"))
    if "timing" in report:
        timing = report["timing"]
        lines.append(f"  time       {timing['seconds']:.1f} s, {timing['persons_per_second']:,.0f} persons/s")
    return "\n".join(lines)
