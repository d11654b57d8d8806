"""Risk flags: records, routing to JPAUs, keys, signing and HPKE sealing.

Modules (only ``transforms`` imports Beam):

- ``routing``: units config (``rules/jpau_units.yaml``) and ``route(candidate, units)``;
- ``records``: risk flag dicts (``schemas/risk_flag.avsc``) from MatchCandidate dicts, with only
  the traveller fields each unit may see, and stable flag ids;
- ``writer`` / ``reader``: one signed, sealed Avro file per unit per run; ``read_flags`` opens it;
- ``transforms``: the ``RaiseFlags`` composite transform;
- ``cli_keys``: ``paxshare keys new|list|rotate|demo``.

Sealing itself is ``pipelines.crypto``. See docs/flags.md.
"""
