"""What a PAXLST message's function (BGM) says about the persons it lists, in one place: the
stream's per-flight state (``io/flights.py``) and the sharing rules (``sharing/engine.py``) read it.
"""

#: a close-out: the list it belongs to is final
CLOSE_FUNCTIONS = {"FLIGHT_CLOSE", "CLOSE_ON_BOARD", "CLOSE_NOT_ON_BOARD"}
#: a reservation cancelled (XR) or a party reduced (RP): the persons named will not travel
PERSON_CANCEL_FUNCTIONS = {"CANCEL_RESERVATION", "REDUCTION_IN_PARTY"}
#: the flight cancelled: nobody on it travels
FLIGHT_CANCEL = "CANCEL_FLIGHT"
#: every function whose persons are withdrawn rather than travelling
CANCELLATIONS = PERSON_CANCEL_FUNCTIONS | {FLIGHT_CANCEL}


def names_travellers(message_function: str | None) -> bool:
    """False for a cancellation: the persons it names are not travelling (a stream withdraws them
    from their flight; nothing about them is shared with a partner as a traveller)."""
    return (message_function or "UNKNOWN") not in CANCELLATIONS


#: why a traveller record sent or flagged earlier no longer stands (``io/flights.py`` decides):
#: its list was replaced by a newer one naming the person again, by one that does not, or the
#: reservation or flight was cancelled
WITHDRAWAL_REASONS = ("SUPERSEDED", "REMOVED", "CANCELLED")
