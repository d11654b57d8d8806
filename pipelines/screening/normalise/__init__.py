"""Field vocabularies for screening: names to comparable tokens (any script to MRZ-style A-Z,
skeletons, nickname groups), dates of birth, document numbers and countries. Plain functions and
tables; nothing here knows about lists, indexes or scores."""
