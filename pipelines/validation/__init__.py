"""Validation: Avro schema conformance and the great-expectations suite of semantic checks."""
