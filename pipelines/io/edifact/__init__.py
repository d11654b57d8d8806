"""UN/EDIFACT PAXLST and PNRGOV to paxshare Avro manifests."""
