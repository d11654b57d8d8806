"""Risk flags: records, routing to JPAUs, keys, signing and HPKE sealing."""
