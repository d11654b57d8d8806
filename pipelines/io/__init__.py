"""Reading and writing: Avro manifests, dead letters, EDIFACT converters."""
