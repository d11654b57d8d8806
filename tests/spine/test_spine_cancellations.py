"""A cancellation's persons are not travelling: batch neither screens nor shares them, as the
stream, which withdraws them at intake, does not (found by the cluster benchmark: batch flagged a
listed person named by a REDUCTION_IN_PARTY message, the stream did not)."""

from __future__ import annotations

import glob

import pytest

from pipelines import crypto
from pipelines.cli import main as paxshare
from pipelines.flags.reader import read_flags
from tests.spine.factories import avro_bytes, manifest, person

WATCHLIST = ("entry_id,surname,given_names,full_name,aliases,date_of_birth,gender,nationality,document_number,"
             "document_issuer,category,list_owner,receivers\n"
             "E1,Okafor,Chidi,,,1980-06-01,M,NGA,,,LOOKOUT,USA,USA|CAN|MEX\n")
OKAFOR = dict(surname="OKAFOR", given_names="CHIDI", date_of_birth="1980-06-01", sex="M", nationality="NGA")


@pytest.mark.parametrize("function", ["CANCEL_RESERVATION", "REDUCTION_IN_PARTY", "CANCEL_FLIGHT"])
def test_batch_raises_no_flag_on_a_person_a_cancellation_names(tmp_path, function):
    keys, inputs, out = tmp_path / "keys", tmp_path / "in", tmp_path / "out"
    assert paxshare(["keys", "demo", "--dir", str(keys)]) == 0
    assert paxshare(["rules", "check", "--init-keys", str(keys)]) == 0
    watchlist = tmp_path / "watch.csv"
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    inputs.mkdir()
    records = [manifest("AC-1", persons=[person(1), person(2, **OKAFOR)], prepared_utc="2026-11-22T01:00:00Z"),
               manifest("AC-2", persons=[person(2, **OKAFOR)], message_function=function,
                        prepared_utc="2026-11-22T02:00:00Z")]
    (inputs / "api.avro").write_bytes(avro_bytes("api_manifest", records))
    assert paxshare(["run", str(inputs), "--output", str(out), "--watchlists", str(watchlist), "--keys", str(keys),
                     "--rules", "rules", "--run-id", "c1", "--quiet"]) == 0
    keyring, trusted = crypto.load_private_keys(keys), crypto.load_verify_keys(keys)
    flagged = {f["traveller_id"] for p in glob.glob(str(out / "flags" / "*" / "*.sealed"))
               for f in read_flags(p, keyring, trusted)}
    assert flagged == {"AC-1/P002"}  # on the list he was booked on; not again as the cancellation's person
