"""Real traffic is messier than the samples: delimiters, line ends, counts, truncation, corruption."""

from __future__ import annotations

import pytest

from pipelines.io.edifact.convert import convert_bytes
from pipelines import reasons

PERSON = ["NAD+FL+++O?'NEIL:ANN?+MARIE", "ATT+2++F", "DTM+329:851224", "NAT+2+CAN", "RFF+ABO:U1",
          "DOC+P+AB123456", "DTM+36:300101", "LOC+91+CAN"]
FLIGHT = ["TDT+20+AC0871+++AC", "LOC+125+YYZ", "DTM+189:2611231930:201", "LOC+87+IAH", "DTM+232:2611232215:201"]


def paxlst(reference: str = "M1", bgm: str = "BGM+745", persons: list[list[str]] | None = None,
           cnt: str | None = "CNT+42:1") -> list[str]:
    persons = [PERSON] if persons is None else persons
    body = [bgm, "NAD+MS+++OPS", *FLIGHT, *[segment for person in persons for segment in person]]
    if cnt:
        body.append(cnt)
    return [f"UNH+{reference}+PAXLST:D:05B:UN:IATA", *body, f"UNT+{len(body) + 2}+{reference}"]


def interchange(*messages: list[str], una: bool = True) -> list[str]:
    segments = ["UNB+UNOA:4+ACAPI:ZZ+USCSAPIS:ZZ+261123:1200+IC42++APIS"]
    for message in messages:
        segments.extend(message)
    segments.append(f"UNZ+{len(messages)}+IC42")
    return (["UNA:+.? '"] if una else []) + segments


def text_of(segments: list[str], line_end: str = "\n") -> str:
    """Join segments; the UNA string carries its own terminator."""
    out = []
    for segment in segments:
        out.append(segment if segment.startswith("UNA") else segment + "'")
    return line_end.join(out)


def convert_text(text: str, encoding: str = "utf-8"):
    return convert_bytes(text.encode(encoding), "test.edi")


def only_manifest(result) -> dict:
    assert not result.dead_letters, result.dead_letters
    [manifest] = result.manifests
    return manifest


def test_release_character_keeps_delimiters_in_values():
    person = only_manifest(convert_text(text_of(interchange(paxlst()))))["persons"][0]
    assert person["surname"] == "O'NEIL" and person["given_names"] == "ANN+MARIE"


@pytest.mark.parametrize("line_end", ["", "\n", "\r\n", "\r", "\n\n  "])
def test_any_line_end_gives_the_same_records(line_end):
    baseline = only_manifest(convert_text(text_of(interchange(paxlst()), "\n")))
    manifest = only_manifest(convert_text(text_of(interchange(paxlst()), line_end)))
    assert manifest["persons"] == baseline["persons"] and manifest["flight"] == baseline["flight"]


def test_line_numbers_follow_cr_only_line_ends():
    lines = interchange(paxlst(persons=[PERSON, ["NAD+FL+++X", "ATT+2++M"]], cnt="CNT+42:5"))
    manifest = only_manifest(convert_text(text_of(lines, "\r")))
    assert "CNT+42 declares 5 passengers; 2 present" in manifest["warnings"]
    result = convert_text(text_of(lines[:-3], "\r"))  # cut after the second person: no UNT
    [letter] = result.dead_letters
    assert letter["line"] == len(lines) - 3  # the last segment present


def test_custom_delimiters_from_una():
    text = text_of(interchange(paxlst()))
    custom = (text.replace("?'", "\x00").replace("?+", "\x01").replace("'", "~").replace("+", "*").replace(":", "|")
              .replace("\x00", "!~").replace("\x01", "+"))
    custom = custom.replace("UNA|*.? ~", "UNA|*.! ~", 1)
    manifest = only_manifest(convert_text(custom))
    assert manifest["persons"][0]["surname"] == "O~NEIL"  # the released terminator ~
    assert manifest["flight"]["carrier"] == "AC" and manifest["flight"]["number"] == "0871"


@pytest.mark.parametrize("terminator,encoding", [("\x85", "latin-1"), ("§", "utf-8"), ("\x1c", "ascii")])
def test_non_ascii_terminators(terminator, encoding):
    text = text_of(interchange(paxlst())).replace("'\n", terminator + "\n").replace("?" + terminator, "?'")
    text = text.replace("UNA:+.? '", "UNA:+.? " + terminator, 1)
    manifest = only_manifest(convert_text(text, encoding))
    assert manifest["persons"][0]["surname"] == "O'NEIL"


def test_level_b_separators_without_una():
    text = text_of(interchange(paxlst(), una=False)).replace("?'", "'")
    level_b = text.replace("'", "\x1c").replace("+", "\x1d").replace(":", "\x1f").replace("UNOA", "UNOB")
    level_b = level_b.replace("O\x1cNEIL", "ONEIL")
    manifest = only_manifest(convert_text(level_b))
    assert manifest["persons"][0]["surname"] == "ONEIL"
    assert manifest["flight"]["legs"][0]["departure_airport"] == "YYZ"


def test_leading_whitespace_bom_and_a_header_before_the_interchange():
    text = "\ufeff   \r\nZCZC QU YULRMAC\n" + text_of(interchange(paxlst()))
    result = convert_text(text)
    assert only_manifest(result)["persons"][0]["surname"] == "O'NEIL"
    assert any("ZCZC" in warning for warning in result.warnings)


def test_crew_count_and_passenger_count_are_told_apart():
    crew = ["NAD+FM+++PILOT:ONE", "ATT+2++M", "EMP+1+CR1:110:111"]
    lines = interchange(paxlst(persons=[PERSON, crew], cnt="CNT+41+3"))
    manifest = only_manifest(convert_text(text_of(lines)))
    assert manifest["declared_crew_count"] == 3 and manifest["declared_passenger_count"] is None
    assert "CNT+41 declares 3 crew; 1 present" in manifest["warnings"]
    assert manifest["persons"][1]["role"] == "CREW" and manifest["persons"][1]["crew_role"] == "CR1"


def test_in_transit_roles():
    persons = [["NAD+DDU+++A:B", "ATT+2++F"], ["NAD+DDT+++C:D", "ATT+2++M"]]
    manifest = only_manifest(convert_text(text_of(interchange(paxlst(persons=persons, cnt=None)))))
    assert [p["role"] for p in manifest["persons"]] == ["IN_TRANSIT_PASSENGER", "IN_TRANSIT_CREW"]
    assert manifest["flight"]["in_transit"] is True
    assert [p["person_id"] for p in manifest["persons"]] == ["P0001", "P0002"]


@pytest.mark.parametrize("bgm,message_type,function", [
    ("BGM+745", "PASSENGER_LIST", "ORIGINAL"), ("BGM+250", "CREW_LIST", "ORIGINAL"),
    ("BGM+266+CLOB", "FLIGHT_STATUS_UPDATE", "CLOSE_ON_BOARD"), ("BGM+266+CLNB", "FLIGHT_STATUS_UPDATE", "CLOSE_NOT_ON_BOARD"),
    ("BGM+745+CP", "PASSENGER_LIST", "CHANGE_PASSENGER"), ("BGM+745+XR", "PASSENGER_LIST", "CANCEL_RESERVATION"),
    ("BGM+745+RP", "PASSENGER_LIST", "REDUCTION_IN_PARTY"), ("BGM+266+CL", "FLIGHT_STATUS_UPDATE", "FLIGHT_CLOSE"),
    ("BGM+266+XF", "FLIGHT_STATUS_UPDATE", "CANCEL_FLIGHT"), ("BGM+266+CF", "FLIGHT_STATUS_UPDATE", "CHANGE_FLIGHT"),
    ("BGM+336", "MASTER_CREW_LIST", "ORIGINAL"), ("BGM+655", "GATE_PASS", "ORIGINAL"),
    ("BGM+745+ZZ", "PASSENGER_LIST", "UNKNOWN"),
])
def test_bgm_codes(bgm, message_type, function):
    manifest = only_manifest(convert_text(text_of(interchange(paxlst(bgm=bgm)))))
    assert (manifest["message_type"], manifest["message_function"]) == (message_type, function)


@pytest.mark.parametrize("bgm", ["BGM", "BGM+"])
def test_missing_document_type_is_inferred_and_noted(bgm):
    manifest = only_manifest(convert_text(text_of(interchange(paxlst(bgm=bgm)))))
    assert manifest["message_type"] == "PASSENGER_LIST"
    assert any("PASSENGER_LIST inferred" in warning for warning in manifest["warnings"])


def test_truncated_last_message_is_a_dead_letter_and_the_first_still_converts():
    segments = interchange(paxlst("M1"), paxlst("M2"))
    text = text_of(segments[:-6])  # the input stops inside M2
    result = convert_text(text)
    [manifest] = result.manifests
    assert manifest["message_id"] == "ACAPI/IC42/M1"
    [letter] = result.dead_letters
    assert letter["kind"] == "EDIFACT_MESSAGE" and letter["stage"] == "convert"
    assert letter["record_key"] == "ACAPI/IC42/M2" and letter["source_file"] == "test.edi"
    assert letter["reasons"][0]["code"] == reasons.TRUNCATED
    assert letter["raw_bytes"].startswith(b"UNH+M2+PAXLST") and letter["person_count"] == 1
    assert letter["position"] == text.encode().index(b"UNH+M2")


def test_corrupt_segment_names_segment_and_line():
    bad = paxlst("M2")
    bad.insert(5, "N@D+FL+++BROKEN")
    result = convert_text(text_of(interchange(paxlst("M1"), bad)))
    assert [m["message_id"] for m in result.manifests] == ["ACAPI/IC42/M1"]
    [letter] = result.dead_letters
    reason = letter["reasons"][0]
    assert reason["code"] == reasons.BAD_FORMAT and reason["field"] == "N@D"
    assert "N@D+FL+++BROKEN" in reason["message"] and "test.edi" in reason["message"]
    assert letter["line"] == 2 + len(paxlst("M1")) + 6


def test_unknown_message_type_is_a_dead_letter():
    message = ["UNH+9+INVOIC:D:96A:UN", "BGM+380", "UNT+3+9"]
    result = convert_text(text_of(interchange(paxlst("M1"), message)))
    assert len(result.manifests) == 1
    [letter] = result.dead_letters
    assert "INVOIC" in letter["reasons"][0]["message"]


@pytest.mark.parametrize("data", [b"", b"   \n", b"hello world", b"\x00\xff\xfe"])
def test_input_without_edifact_is_one_file_dead_letter(data):
    result = convert_bytes(data, "junk.bin")
    [letter] = result.dead_letters
    assert letter["kind"] == "FILE" and letter["source_file"] == "junk.bin"
    assert "no UN/EDIFACT message" in letter["reasons"][0]["message"]


def test_message_ids_are_unique_and_stable():
    text = text_of(interchange(paxlst("1"), paxlst("1")))
    first = convert_text(text)
    assert [m["message_id"] for m in first.manifests] == ["ACAPI/IC42/1", "ACAPI/IC42/1#2"]
    assert [m["message_id"] for m in convert_text(text).manifests] == ["ACAPI/IC42/1", "ACAPI/IC42/1#2"]


def test_several_interchanges_with_their_own_delimiters():
    first = text_of(interchange(paxlst("A")))
    second = text_of(interchange(paxlst("B"))).replace("?'", "").replace("'", "$").replace("UNA:+.? $", "UNA:+.? $")
    result = convert_text(first + "\n" + second)
    assert [m["message_id"] for m in result.manifests] == ["ACAPI/IC42/A", "ACAPI/IC42/B"]
    assert result.manifests[1]["persons"][0]["surname"] == "ONEIL"


def test_message_without_envelope_is_recognised():
    body = paxlst()[1:-1]
    result = convert_text(text_of(["UNH+X1+PAXLST:D:05B:UN:IATA", *body]).replace("UNH+X1+PAXLST:D:05B:UN:IATA'", ""))
    manifest = only_manifest(result)
    assert manifest["sender"] == "UNKNOWN" and manifest["persons"][0]["surname"] == "O'NEIL"
    assert any("outside UNH..UNT" in warning for warning in manifest["warnings"])


def test_pnrgov_without_pnr_is_a_dead_letter_unless_declared_empty():
    empty = ["UNH+1+PNRGOV:11:1:IA", "MSG+:22", "ORG+AC", "TVL+231126:1930+YYZ+IAH+AC+871", "EQN+0", "UNT+7+1"]
    assert convert_text(text_of(interchange(empty))).dead_letters == []
    missing = [segment for segment in empty if not segment.startswith("EQN")]
    [letter] = convert_text(text_of(interchange(missing))).dead_letters
    assert letter["reasons"][0]["code"] == reasons.MISSING


def _in_parts(*parts: str) -> list[list[str]]:
    """One list sent as several messages: each UNH gets the common access reference and ``parts``."""
    messages = []
    for number, status in enumerate(parts, start=1):
        message = paxlst(f"M{number}")
        message[0] += f"+AC0871/261123/1930{status}"
        messages.append(message)
    return messages


@pytest.mark.parametrize("statuses,expected", [
    (("+01:C", "+02:C", "+03:F"), [(1, False), (2, False), (3, True)]),
    (("+01", "+02"), [(1, None), (2, None)]),            # many carriers send only the number
    (("+1:F",), [(1, True)]),
])
def test_a_list_sent_in_parts_names_each_part(statuses, expected):
    result = convert_text(text_of(interchange(*_in_parts(*statuses))))
    assert not result.dead_letters
    assert [(m["list_part"]["number"], m["list_part"]["last"]) for m in result.manifests] == expected
    assert {m["list_part"]["reference"] for m in result.manifests} == {"AC0871/261123/1930"}
    assert all(m["warnings"] == [] for m in result.manifests)


def test_a_list_sent_whole_has_no_part_and_a_bad_part_number_is_a_warning():
    whole = only_manifest(convert_text(text_of(interchange(paxlst()))))
    assert whole["list_part"] is None
    odd = only_manifest(convert_text(text_of(interchange(_in_parts("+XX:C")[0]))))
    assert odd["list_part"] is None and any("sequence of transfers 'XX'" in w for w in odd["warnings"])
    flag = only_manifest(convert_text(text_of(interchange(_in_parts("+02:Q")[0]))))
    assert flag["list_part"]["number"] == 2 and any("'Q' is neither C nor F" in w for w in flag["warnings"])
