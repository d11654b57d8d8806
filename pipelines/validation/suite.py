"""The semantic checks, expressed as great-expectations suites over the rows of ``derive``.

Each expectation carries ``meta`` saying which reason it stands for: a code from ``reasons``, the
field path it concerns (or ``field_from_value`` when the derived column holds the path), and a
message template. The suite is the single statement of what "valid" means; ``Validator`` turns its
unexpected rows into dead-letter reasons. ``suite_as_json`` prints it for review by people who
do not read Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipelines import reasons
from pipelines.validation import reference

COUNTRIES = sorted(reference.COUNTRY_CODES)
#: Document-field checks apply only to persons that have a document (else MISSING documents says it).
HAS_DOCUMENT = ("document_count", 0)  # column > value


@dataclass(frozen=True)
class Check:
    """One expectation and the reason it stands for."""

    expectation: str          # great-expectations class name, e.g. ExpectColumnValuesToNotBeNull
    column: str
    code: str
    field: str | None         # None: the failing row's value is the field path
    message: str              # format() with {value} and {abs_value}
    kwargs: dict[str, Any] = field(default_factory=dict)
    row_condition: tuple[str, int] | None = None  # (column, value): check only rows where column > value

    @property
    def field_from_value(self) -> bool:
        return self.field is None


def _not_null(column: str, field_path: str, what: str, **extra) -> Check:
    return Check("ExpectColumnValuesToNotBeNull", column, reasons.MISSING, field_path, f"{what} is missing", **extra)


MANIFEST_CHECKS: tuple[Check, ...] = (
    _not_null("carrier", "flight.carrier", "carrier code"),
    Check("ExpectColumnValuesToMatchRegex", "carrier", reasons.BAD_FORMAT, "flight.carrier",
          "carrier {value!r} is not an IATA (2-character) or ICAO (3-letter) airline designator",
          {"regex": reference.CARRIER_CODE.pattern}),
    _not_null("flight_number", "flight.number", "flight number"),
    Check("ExpectColumnValuesToMatchRegex", "flight_number", reasons.BAD_FORMAT, "flight.number",
          "flight number {value!r} is not 1-4 digits with an optional letter",
          {"regex": reference.FLIGHT_NUMBER.pattern}),
    Check("ExpectColumnValuesToBeBetween", "leg_count", reasons.MISSING, "flight.legs",
          "the flight has no legs (no departure or arrival)", {"min_value": 1}),
    Check("ExpectColumnValuesToBeNull", "bad_airport_field", reasons.BAD_FORMAT, None,
          "{value} is missing or not a 3-letter IATA airport code"),
    Check("ExpectColumnValuesToBeInSet", "missing_departure_time", reasons.MISSING, "flight.legs[0].departure_local",
          "the first leg has no departure time", {"value_set": [False]}),
    Check("ExpectColumnValuesToBeNull", "bad_leg_time_field", reasons.INVALID_DATE, None,
          "{value} is not a real local date and time (YYYY-MM-DDTHH:MM)"),
    Check("ExpectColumnValuesToBeBetween", "passenger_count_difference", reasons.COUNT_MISMATCH,
          "declared_passenger_count", "declared passenger count differs from the passengers present by {value:+d}",
          {"min_value": 0, "max_value": 0}),
    Check("ExpectColumnValuesToBeBetween", "crew_count_difference", reasons.COUNT_MISMATCH,
          "declared_crew_count", "declared crew count differs from the crew present by {value:+d}",
          {"min_value": 0, "max_value": 0}),
)

PERSON_CHECKS: tuple[Check, ...] = (
    _not_null("surname", "surname", "surname"),
    _not_null("date_of_birth", "date_of_birth", "date of birth"),
    Check("ExpectColumnValuesToBeInSet", "date_of_birth_is_date", reasons.INVALID_DATE, "date_of_birth",
          "date of birth is not a real calendar date (YYYY-MM-DD)", {"value_set": [True]}),
    Check("ExpectColumnValuesToBeBetween", "age_days_at_departure", reasons.DATE_IN_FUTURE, "date_of_birth",
          "date of birth is {abs_value} days after the departure", {"min_value": 0}),
    Check("ExpectColumnValuesToBeBetween", "age_days_at_departure", reasons.IMPLAUSIBLY_OLD, "date_of_birth",
          "date of birth is {value} days (over 120 years) before the departure",
          {"max_value": reference.MAX_AGE_DAYS}),
    _not_null("sex", "sex", "sex"),
    Check("ExpectColumnValuesToBeInSet", "sex", reasons.BAD_FORMAT, "sex",
          "sex {value!r} is not one of M, F, X, U", {"value_set": sorted(reference.SEX_CODES)}),
    _not_null("nationality", "nationality", "nationality"),
    Check("ExpectColumnValuesToBeInSet", "nationality", reasons.UNKNOWN_COUNTRY, "nationality",
          "nationality {value!r} is not an ISO 3166 alpha-3 or Doc 9303 code", {"value_set": COUNTRIES}),
    Check("ExpectColumnValuesToBeInSet", "residence_country", reasons.UNKNOWN_COUNTRY, "residence_country",
          "residence country {value!r} is not an ISO 3166 alpha-3 or Doc 9303 code", {"value_set": COUNTRIES}),
    Check("ExpectColumnValuesToBeBetween", "document_count", reasons.MISSING, "documents",
          "no travel document", {"min_value": 1}),
    _not_null("document_type", "documents[0].type", "document type", row_condition=HAS_DOCUMENT),
    Check("ExpectColumnValuesToBeInSet", "document_type", reasons.BAD_FORMAT, "documents[0].type",
          "document type {value!r} is not one of " + ", ".join(sorted(reference.DOCUMENT_TYPES)),
          {"value_set": sorted(reference.DOCUMENT_TYPES)}),
    _not_null("document_number", "documents[0].number", "document number", row_condition=HAS_DOCUMENT),
    _not_null("document_issuing_state", "documents[0].issuing_state", "document issuing state",
              row_condition=HAS_DOCUMENT),
    Check("ExpectColumnValuesToBeInSet", "document_issuing_state", reasons.UNKNOWN_COUNTRY,
          "documents[0].issuing_state", "issuing state {value!r} is not an ISO 3166 alpha-3 or Doc 9303 code",
          {"value_set": COUNTRIES}),
    _not_null("document_expiry_date", "documents[0].expiry_date", "document expiry date",
              row_condition=HAS_DOCUMENT),
    Check("ExpectColumnValuesToBeInSet", "document_expiry_is_date", reasons.INVALID_DATE, "documents[0].expiry_date",
          "document expiry is not a real calendar date (YYYY-MM-DD)", {"value_set": [True]}),
    Check("ExpectColumnValuesToBeBetween", "document_days_valid_after_departure", reasons.DOCUMENT_EXPIRED,
          "documents[0].expiry_date", "document expired {abs_value} days before the departure", {"min_value": 0}),
    Check("ExpectColumnValuesToBeNull", "unknown_other_document_state_field", reasons.UNKNOWN_COUNTRY, None,
          "{value} is not an ISO 3166 alpha-3 or Doc 9303 code"),
    Check("ExpectColumnValuesToBeNull", "bad_other_document_date_field", reasons.INVALID_DATE, None,
          "{value} is not a real calendar date (YYYY-MM-DD)"),
    Check("ExpectColumnValuesToBeInSet", "mrz_check_ok", reasons.CHECK_DIGIT, "documents[0].mrz_line",
          "a Doc 9303 check digit in the MRZ line does not verify", {"value_set": [True]}),
)

PNR_CHECKS: tuple[Check, ...] = (
    _not_null("record_locator", "record_locator", "record locator"),
    Check("ExpectColumnValuesToMatchRegex", "record_locator", reasons.BAD_FORMAT, "record_locator",
          "record locator {value!r} is not 5-8 letters and digits", {"regex": reference.RECORD_LOCATOR.pattern}),
    Check("ExpectColumnValuesToBeInSet", "creation_date_is_date", reasons.INVALID_DATE, "creation_date",
          "creation date is not a real calendar date", {"value_set": [True]}),
    Check("ExpectColumnValuesToBeBetween", "flight_count", reasons.MISSING, "flights",
          "the PNR has no itinerary", {"min_value": 1}),
    Check("ExpectColumnValuesToBeNull", "bad_itinerary_field", reasons.BAD_FORMAT, None,
          "{value} is missing or malformed"),
    Check("ExpectColumnValuesToBeBetween", "traveller_count", reasons.MISSING, "travellers",
          "the PNR names no traveller", {"min_value": 1}),
    Check("ExpectColumnValuesToBeNull", "missing_surname_field", reasons.MISSING, None, "{value} is missing"),
    Check("ExpectColumnValuesToBeNull", "bad_traveller_date_field", reasons.INVALID_DATE, None,
          "{value} is not a real calendar date"),
)

SUITES: dict[str, tuple[Check, ...]] = {
    "api_manifest": MANIFEST_CHECKS,
    "api_person": PERSON_CHECKS,
    "pnr": PNR_CHECKS,
}


def build_expectation_suite(name: str):
    """The great-expectations ``ExpectationSuite`` for one of ``SUITES``."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    suite = gx.ExpectationSuite(name=f"paxshare_{name}")
    for index, check in enumerate(SUITES[name]):
        kwargs = dict(check.kwargs)
        if check.row_condition:
            column, value = check.row_condition
            kwargs.update(row_condition=Column(column) > value)
        expectation = getattr(gxe, check.expectation)(
            column=check.column, meta={"check_index": index, "code": check.code, "field": check.field}, **kwargs)
        suite.add_expectation(expectation)
    return suite


def suite_as_json(name: str) -> dict:
    """The suite as great-expectations JSON, for reviewers and for ``paxshare run --print-suite``."""
    return build_expectation_suite(name).to_json_dict()
