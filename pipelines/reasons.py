"""Why a record was rejected: stable codes shared by the validator, the generator's planted
truth and the dead-letter output.

A reason is a code plus the path of the field it concerns (``date_of_birth``,
``documents[0].expiry_date``, ``flight.number``, ``declared_passenger_count``) plus a message
naming the value. Codes are few and general on purpose; the field path says where.
"""

from __future__ import annotations

from typing import NamedTuple

#: The tagged output that carries rejected records and unreadable files (reading and validation).
DEAD_LETTER = "dead_letter"

MISSING = "MISSING"                    # a mandatory element is absent or blank
BAD_FORMAT = "BAD_FORMAT"              # not in the element's format (flight number, airport, sex, document type...)
INVALID_DATE = "INVALID_DATE"          # not a real calendar date or time (2026-02-30, 99-99-99)
DATE_IN_FUTURE = "DATE_IN_FUTURE"      # date of birth (or issue date) after the departure
IMPLAUSIBLY_OLD = "IMPLAUSIBLY_OLD"    # born more than 120 years before departure
UNKNOWN_COUNTRY = "UNKNOWN_COUNTRY"    # not ISO 3166 alpha-3 nor a Doc 9303 special code
DOCUMENT_EXPIRED = "DOCUMENT_EXPIRED"  # travel document expired before the departure date
CHECK_DIGIT = "CHECK_DIGIT"            # a Doc 9303 check digit in the MRZ line does not verify
COUNT_MISMATCH = "COUNT_MISMATCH"      # declared passenger/crew count differs from the persons present
# File- and decode-level reasons (the record never reached the semantic checks).
NOT_AVRO = "NOT_AVRO"                  # the file is not an Avro object container file
TRUNCATED = "TRUNCATED"                # the file ends inside a block; records before it are kept
UNKNOWN_SCHEMA = "UNKNOWN_SCHEMA"      # written with a schema paxshare does not know
SCHEMA_MISMATCH = "SCHEMA_MISMATCH"    # a record does not conform to its schema
UNREADABLE = "UNREADABLE"              # the file could not be opened or read

ALL_CODES = (
    MISSING, BAD_FORMAT, INVALID_DATE, DATE_IN_FUTURE, IMPLAUSIBLY_OLD, UNKNOWN_COUNTRY,
    DOCUMENT_EXPIRED, CHECK_DIGIT, COUNT_MISMATCH, NOT_AVRO, TRUNCATED, UNKNOWN_SCHEMA,
    SCHEMA_MISMATCH, UNREADABLE,
)


class Reason(NamedTuple):
    """One reason a record was rejected; shaped like ``paxshare.ops.Reason`` in dead_letter.avsc."""

    code: str
    field: str | None
    message: str

    def as_record(self) -> dict:
        return {"code": self.code, "field": self.field, "message": self.message}
