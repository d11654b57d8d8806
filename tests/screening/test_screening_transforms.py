import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipelines.screening.transforms import ScreenTravellers

WL = ("entry_id,surname,given_names,full_name,aliases,date_of_birth,gender,nationality,document_number,document_issuer,category\n"
      "E1,Karimov,Rustam,,,1971-03-14,M,UZB,,,TERRORISM\n"
      "E2,,,,,,,,X1234567,CAN,LOST_STOLEN_DOCUMENT\n")


def _traveller(tid, surname, given, dob, docs=()):
    return {"schema_version": 1, "traveller_id": tid, "message_id": "M1", "sender": "AC", "message_type": "PASSENGER_LIST",
            "message_function": "ORIGINAL", "source_file": "x.avro", "flight_key": "AC0871/2026-11-23",
            "flight_date": "2026-11-23", "carrier": "AC", "flight_number": "871", "operating_carrier": None,
            "in_transit": False, "legs": [{"departure_airport": "YUL", "departure_local": "2026-11-23T10:00:00",
                                           "departure_utc": None, "arrival_airport": "JFK", "arrival_local": None,
                                           "arrival_utc": None}],
            "person": {"person_id": tid, "surname": surname, "given_names": given, "date_of_birth": dob, "sex": "M",
                       "nationality": "UZB", "documents": [{"type": "P", "number": n, "issuing_state": i} for n, i in docs]}}


def test_screen_travellers_transform(tmp_path):
    from pipelines.schemas import raw_schema
    path = tmp_path / "wl.csv"
    path.write_text(WL, encoding="utf-8")
    fields = [f["name"] for f in raw_schema("match_candidate")["fields"]]
    travellers = [_traveller("M1/1", "KARIMOV", "RUSTAM", "1971-03-14"),
                  _traveller("M1/2", "SMITH", "ANNA", "1990-01-01", docs=[("X1234567", "CAN")]),
                  _traveller("M1/3", "NOBODY", "ATALL", "1990-01-01")]
    with TestPipeline() as pipeline:
        out = (pipeline | beam.Create(travellers) | ScreenTravellers([str(path)]))
        assert_that(out | "Keys" >> beam.Map(lambda c: (c["traveller_id"], c["entry_id"], c["category"], c["departure_utc"])),
                    equal_to([("M1/1", "E1", "TERRORISM", "2026-11-23T10:00:00"), ("M1/2", "E2", "LOST_STOLEN_DOCUMENT", "2026-11-23T10:00:00")]),
                    label="pairs")
        assert_that(out | "Shape" >> beam.Map(lambda c: sorted(c) == sorted(fields) and c["score"] >= c["threshold"]),
                    equal_to([True, True]), label="shape")


def test_dofn_instances_in_one_process_share_one_index(tmp_path):
    # runners start several DoFn instances (threads) per worker process: one million-entry index
    # per thread would not fit, so setup() shares one per process and configuration
    import pickle
    from pipelines.screening.engine.settings import default_settings
    from pipelines.screening.transforms import ScreenTravellersFn
    path, other = tmp_path / "wl.csv", tmp_path / "other.csv"
    path.write_text(WL, encoding="utf-8")
    other.write_text(WL, encoding="utf-8")
    first = ScreenTravellersFn([str(path)], default_settings().raw)
    second = pickle.loads(pickle.dumps(first))  # as a runner ships it to another thread
    third = ScreenTravellersFn([str(other)], default_settings().raw)
    for fn in (first, second, third):
        fn.setup()
    assert first._screener is second._screener
    assert third._screener is not first._screener  # another list, another index
    assert len(list(first.process([_traveller("M1/1", "KARIMOV", "RUSTAM", "1971-03-14")]))) == 1



def test_rejected_travellers_candidates_say_why_from_their_reasons(tmp_path):
    path = tmp_path / "wl.csv"
    path.write_text(WL, encoding="utf-8")
    travellers = [_traveller("M1/1", "KARIMOV", "RUSTAM", "1971-03-14"),
                  _traveller("M2/1", "KARIMOV", "RUSTAM", "1971-03-14")]

    def last_lines_are_right(pairs):
        by_id = dict(pairs)
        assert set(by_id) == {"M1/1", "M2/1"}
        assert "NOTE" not in by_id["M1/1"]
        assert by_id["M2/1"] == ("NOTE: this traveller's record failed validation (SEX: not M, F, X or U; "
                                 "DOB missing); screened anyway, not shared.")

    with TestPipeline() as pipeline:
        valid = pipeline | "Valid" >> beam.Create(travellers[:1])
        rejected = pipeline | "Rejected" >> beam.Create([(travellers[1], ["SEX: not M, F, X or U", "DOB missing"])])
        out = (valid, rejected) | ScreenTravellers([str(path)])
        assert_that(out | beam.Map(lambda c: (c["traveller_id"], c["explanation"].split("\n")[-1])),
                    last_lines_are_right)
