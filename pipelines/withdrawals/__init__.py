"""Withdrawals downstream of the flight book: flags and partner records of travellers whose record
a later airline message withdrew (``transforms``; the decisions are in ``io/flights.py``,
``flags/records.py`` and ``sharing/engine.py``)."""
