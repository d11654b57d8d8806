"""Privacy-filtered sharing: arrangements in rules/, the rule engine, the audit chain.

Each partner country receives only what its bilateral arrangement allows (``rules/*.yaml``):
sensitive data are filtered first, then scope, then an allow-list of schema paths with per-field
treatments (keep, mask, generalise, keyed pseudonym). Every disclosure is recorded in an
append-only, hash-chained audit log. Modules: ``rules`` (load and validate), ``paths`` (schema
paths), ``sensitive``, ``scope``, ``engine``, ``audit``, ``output`` (sealed Avro files),
``retention``; ``transforms`` is the Beam wrapper. See ``docs/sharing.md``.
"""

from pipelines.sharing.audit import verify as verify_audit
from pipelines.sharing.engine import Share, SharingEngine
from pipelines.sharing.rules import Arrangement, RulesError, load_rules

__all__ = ["Arrangement", "RulesError", "Share", "SharingEngine", "load_rules", "verify_audit"]
