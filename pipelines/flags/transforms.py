"""Beam wrapper of the flags stage: route -> build -> group per unit -> write a sealed file per unit.

Usage::

    result = candidates | "Raise flags" >> RaiseFlags(
        units_config_path="rules/jpau_units.yaml", keys_dir="keys", output_dir="out",
        run_id="run-2026-11-23", rules_version=None)
    result["flags"]       # flag dicts (routed, filtered per unit; no key material)
    result["files"]       # one summary dict per unit: unit_id, path, flags, recipient_key_id, ...
    result["suppressed"]  # candidate ids suppressed by a cleared/trusted-traveller record
    result["withdrawn"]   # (flag, withdrawal) sent again withdrawn, with ``withdrawals=``; else None

``immediate=True`` (streaming) seals each flag into its own file as soon as it is built; ``files``
is then ``(unit_id, file name, sealed bytes)`` per flag, for a Kafka topic per unit.

Every configured unit gets a file every run (possibly with no flags), at a name fixed by unit and
run id, so a re-run replaces the previous file and a traveller cleared since no longer lingers.
Keys are read through :mod:`pipelines.storage` in ``setup()``, never pickled with the pipeline; only
public keys and the pipeline's signing key are ever read. Metrics (namespace ``paxshare.flags``):
``flags.<unit_id>``, ``suppressed``, ``unrouted``, ``candidates``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipelines import crypto, storage
from pipelines.flags import records, routing, writer

__all__ = ["RaiseFlags", "METRICS_NAMESPACE"]

METRICS_NAMESPACE = "paxshare.flags"
SUPPRESSED = "suppressed"


class _RouteAndBuild(beam.DoFn):
    """One flag per entitled unit; suppressed candidate ids to a tagged output."""

    def __init__(self, config: routing.UnitsConfig, run_id: str, rules_version: str, created_utc: str):
        self._config = config
        self._run_id = run_id
        self._rules_version = rules_version
        self._created_utc = created_utc
        self._candidates = Metrics.counter(METRICS_NAMESPACE, "candidates")
        self._suppressed = Metrics.counter(METRICS_NAMESPACE, SUPPRESSED)
        self._unrouted = Metrics.counter(METRICS_NAMESPACE, "unrouted")

    def process(self, candidate: dict):
        self._candidates.inc()
        if candidate.get("suppressed_by"):
            self._suppressed.inc()
            yield beam.pvalue.TaggedOutput(SUPPRESSED, candidate["candidate_id"])
            return
        unit_ids = routing.route(candidate, self._config)
        if not unit_ids:
            self._unrouted.inc()
        for unit_id in unit_ids:
            Metrics.counter(METRICS_NAMESPACE, f"flags.{unit_id}").inc()
            yield records.build_flag(
                candidate, self._config.unit(unit_id),
                run_id=self._run_id, rules_version=self._rules_version, created_utc=self._created_utc,
            )


class _WriteUnitFile(beam.DoFn):
    """Seal and write one unit's flags; keys are loaded once per worker in setup()."""

    def __init__(self, config: routing.UnitsConfig, keys_dir: str, output_dir: str, run_id: str):
        self._config = config
        self._keys_dir = keys_dir
        self._output_dir = output_dir
        self._run_id = run_id
        self._recipients: dict[str, crypto.RecipientPublicKey] = {}
        self._signer: crypto.SigningKey | None = None

    def setup(self):
        current = crypto.current_public_keys(self._keys_dir)
        missing = [unit.public_key for unit in self._config.units.values() if ("recipient", unit.public_key) not in current]
        if missing:
            raise crypto.KeyFileError(
                f"{self._keys_dir}: no public key for {', '.join(sorted(missing))} "
                "(create them with 'paxshare keys demo' or 'paxshare keys new')"
            )
        self._recipients = {uid: current[("recipient", unit.public_key)] for uid, unit in self._config.units.items()}
        verify = current.get(("signing", self._config.signing_key))
        if verify is None:
            raise crypto.KeyFileError(f"{self._keys_dir}: no signing key named {self._config.signing_key!r}")
        private_path = storage.join(self._keys_dir, crypto.private_key_file_name(verify.key_id))
        signer = crypto.read_private_key(private_path)
        if not isinstance(signer, crypto.SigningKey) or signer.fingerprint != verify.fingerprint:
            raise crypto.KeyFileError(f"{private_path}: does not hold the signing key {verify.key_id!r}")
        self._signer = signer

    def _keys_loaded(self) -> None:
        # a runner may tear down one instance while another thread still uses an instance it
        # shares state with (seen on Prism): load the keys again rather than seal with none
        if self._signer is None:
            self.setup()

    def process(self, element):
        self._keys_loaded()
        unit_id, grouped = element
        flags = list(grouped["flags"])
        recipient = self._recipients[unit_id]
        data = writer.seal_flags_file(flags, unit_id, self._run_id, recipient, self._signer)
        path = writer.flags_path(self._output_dir, unit_id, self._run_id)
        storage.write_bytes(path, data)  # replaces a previous run's file in one step
        yield {
            "unit_id": unit_id,
            "run_id": self._run_id,
            "path": path,
            "flags": len(flags),
            "recipient_key_id": recipient.key_id,
            "suite": recipient.suite,
            "signer_key_id": self._signer.key_id,
        }

    def teardown(self):
        self._signer = None


class _SealEachFlag(_WriteUnitFile):
    """Streaming: seal and write each flag as soon as it is built, one file per flag named by its
    stable flag id (``flags/<unit>/flags-<run_id>.<flag id>.sealed``), so a redelivered flag
    replaces its own file and nothing waits for a window. Emits ``(unit_id, file name, bytes)``."""

    def process(self, flag):
        self._keys_loaded()
        unit_id = flag["unit_id"]
        file_run_id = f"{self._run_id}.{flag['flag_id'][:24]}"
        flag = dict(flag, run_id=file_run_id)
        data = writer.seal_flags_file([flag], unit_id, file_run_id, self._recipients[unit_id], self._signer)
        path = writer.flags_path(self._output_dir, unit_id, file_run_id)
        storage.write_bytes(path, data)  # a redelivered flag replaces its own file in one step
        Metrics.counter(METRICS_NAMESPACE, "sealed_as_screened").inc()
        yield unit_id, path.rsplit("/", 1)[-1], data


class _SealEachWithdrawal(_WriteUnitFile):
    """Streaming: seal each withdrawn flag as soon as its withdrawal meets it, into its own file
    beside the flag's (``flags/<unit>/flags-<run_id>.<flag id>.withdrawn.sealed``)."""

    def process(self, pair):
        self._keys_loaded()
        flag, withdrawal = pair
        unit_id = flag["unit_id"]
        file_run_id = f"{self._run_id}.{flag['flag_id'][:24]}.withdrawn"
        withdrawn = records.withdrawn_flag(flag, withdrawal, file_run_id)
        data = writer.seal_flags_file([withdrawn], unit_id, file_run_id, self._recipients[unit_id], self._signer)
        path = writer.flags_path(self._output_dir, unit_id, file_run_id)
        storage.write_bytes(path, data)
        Metrics.counter(METRICS_NAMESPACE, "withdrawn").inc()
        yield unit_id, path.rsplit("/", 1)[-1], data


class RaiseFlags(beam.PTransform):
    """MatchCandidate dicts -> sealed per-unit flag files (see the module docstring)."""

    def __init__(
        self,
        units_config_path: str | None,
        keys_dir: str,
        output_dir: str,
        run_id: str,
        rules_version: str | None = None,
        created_utc: str | None = None,
        label: str | None = None,
        immediate: bool = False,
        withdrawals=None,
        withdrawal_hold_seconds: float = 48 * 3600,
    ):
        super().__init__(label)
        self._immediate = immediate
        self._withdrawals, self._hold = withdrawals, withdrawal_hold_seconds
        self._config = routing.load_units(units_config_path)  # fail fast, before the pipeline runs
        self._keys_dir = str(keys_dir)
        self._output_dir = str(output_dir)
        self._run_id = writer.check_run_id(run_id)
        self._rules_version = rules_version or self._config.rules_version
        self._created_utc = created_utc or (
            _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        )

    def expand(self, candidates):
        routed = candidates | "Route and build flags" >> beam.ParDo(
            _RouteAndBuild(self._config, self._run_id, self._rules_version, self._created_utc)
        ).with_outputs(SUPPRESSED, main="flags")
        withdrawn = None
        if self._withdrawals is not None:  # flags of travellers whose record a later message withdrew
            from pipelines.withdrawals.transforms import JoinWithdrawals

            withdrawn = ({"items": routed.flags | "Flags by traveller" >> beam.Map(lambda f: (f["traveller_id"], f)),
                          "withdrawals": self._withdrawals | "Withdrawals of flags" >> beam.Filter(
                              records.withdraws_flag)}
                         | "Meet withdrawals" >> JoinWithdrawals(self._hold))
        if self._immediate:  # streaming: one sealed file per flag, at once (see _SealEachFlag)
            sealed = routed.flags | "Seal each flag" >> beam.ParDo(
                _SealEachFlag(self._config, self._keys_dir, self._output_dir, self._run_id))
            if withdrawn is not None:
                sealed_withdrawn = withdrawn | "Seal each withdrawn flag" >> beam.ParDo(
                    _SealEachWithdrawal(self._config, self._keys_dir, self._output_dir, self._run_id))
                sealed = (sealed | "Flag files globally" >> beam.WindowInto(beam.window.GlobalWindows()),
                          sealed_withdrawn) | "Flag and withdrawal files" >> beam.Flatten()
            return {"flags": routed.flags, "files": sealed, "suppressed": routed[SUPPRESSED], "withdrawn": withdrawn}
        files = self._per_unit(candidates.pipeline, routed.flags, self._run_id, "")
        if withdrawn is not None:
            run_id = writer.check_run_id(f"{self._run_id}.withdrawn")
            as_withdrawn = withdrawn | "Withdrawn flags" >> beam.Map(
                lambda pair: records.withdrawn_flag(pair[0], pair[1], run_id))
            files = (files, self._per_unit(candidates.pipeline, as_withdrawn, run_id, "withdrawn ")
                     ) | "Flag and withdrawal files" >> beam.Flatten()
        return {"flags": routed.flags, "files": files, "suppressed": routed[SUPPRESSED], "withdrawn": withdrawn}

    def _per_unit(self, pipeline, flags, run_id: str, label: str):
        """One sealed file per configured unit (empty when it gets nothing) under ``run_id``."""
        keyed = flags | f"Key {label}by unit" >> beam.Map(lambda flag: (flag["unit_id"], flag))
        every_unit = pipeline | f"Every unit {label}".strip() >> beam.Create([(uid, uid) for uid in self._config.unit_ids])
        return (
            {"flags": keyed, "unit": every_unit}
            | f"Group {label}per unit" >> beam.CoGroupByKey()
            | f"Seal and write {label}per unit" >> beam.ParDo(
                _WriteUnitFile(self._config, self._keys_dir, self._output_dir, run_id))
        )
