"""paxshare: privacy-filtered exchange of Advance Passenger Information and PNR data.

Domain logic (validation, sharing rules, name matching, flag crypto, EDIFACT parsing) lives in
plain modules that never import ``apache_beam``; the ``transforms`` modules wrap them for Beam and
``batch`` assembles the pipeline. See ``README.md`` for the data flow.
"""

__version__ = "0.1.0"
