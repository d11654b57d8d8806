"""Privacy-filtered sharing: arrangements in rules/, the rule engine, the audit chain."""
