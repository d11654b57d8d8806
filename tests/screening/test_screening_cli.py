import json

from pipelines.cli import main

WL = ("entry_id,surname,given_names,full_name,aliases,date_of_birth,gender,nationality,document_number,document_issuer,category\n"
      "E1,Abdullah,Mohammed,,محمد عبد الله,1975-03-04,M,SAU,,,TERRORISM\n"
      "E2,,,,,,,,X1234567,CAN,LOST_STOLEN_DOCUMENT\n"
      "E3,Tremblay,Marie,,,1960,F,CAN,,,LOOKOUT\n")
Q = ("id,surname,given_names,full_name,date_of_birth,gender,nationality,document_number,document_issuer\n"
     "T1,ABDALLAH,MUHAMMAD,,1975-03-04,M,SAU,,\n"
     "T2,DOE,JANE,,1990-01-01,F,CAN,X1234567,CAN\n"
     "T3,,,PIERRE GAGNON,1970,M,CAN,,\n")


def test_screen_end_to_end(tmp_path, capsys):
    (tmp_path / "wl.csv").write_text(WL, encoding="utf-8")
    (tmp_path / "q.csv").write_text(Q, encoding="utf-8")
    out = tmp_path / "matches.jsonl"
    rc = main(["screen", "--watchlist", str(tmp_path / "wl.csv"), "--travellers", str(tmp_path / "q.csv"),
               "--out", str(out), "--min-score", "0.5"])
    assert rc == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    pairs = {(l["traveller_id"], l["entry_id"]) for l in lines}
    assert pairs == {("T1", "E1"), ("T2", "E2")}
    for line in lines:
        assert line["score"] >= 0.5 and line["explanation"] and line["alert"]
    assert "3 travellers" in capsys.readouterr().err


def test_screen_reports_bad_row(tmp_path, capsys):
    (tmp_path / "wl.csv").write_text(WL + "E4,X,Y,,,19xx,,,,,LOOKOUT\n", encoding="utf-8")
    (tmp_path / "q.csv").write_text(Q, encoding="utf-8")
    rc = main(["screen", "-w", str(tmp_path / "wl.csv"), "-t", str(tmp_path / "q.csv"), "-o", str(tmp_path / "o.jsonl")])
    assert rc == 2
    assert f"{tmp_path / 'wl.csv'}:5:" in capsys.readouterr().err


def test_screen_on_workers_writes_what_one_process_writes_in_the_same_order(tmp_path, capsys):
    (tmp_path / "wl.csv").write_text(WL, encoding="utf-8")
    rows = [Q.splitlines()[0]] + [line.replace("T", f"T{i}-", 1) for i in range(1200) for line in Q.splitlines()[1:]]
    (tmp_path / "q.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"matches-{workers}.jsonl"
        assert main(["screen", "-w", str(tmp_path / "wl.csv"), "-t", str(tmp_path / "q.csv"), "-o", str(out),
                     "--workers", workers]) == 0
        outputs.append(out.read_text(encoding="utf-8"))
        err = capsys.readouterr().err
        assert "3600 travellers" in err and "candidate generation:" in err
    assert outputs[0] == outputs[1] and outputs[0].count("\n") == 2400
    assert "on 2 workers" in err


def test_screen_on_workers_reports_a_bad_list(tmp_path, capsys):
    (tmp_path / "wl.csv").write_text(WL + "E4,X,Y,,,19xx,,,,,LOOKOUT\n", encoding="utf-8")
    (tmp_path / "q.csv").write_text(Q, encoding="utf-8")
    assert main(["screen", "-w", str(tmp_path / "wl.csv"), "-t", str(tmp_path / "q.csv"), "-o", str(tmp_path / "o.jsonl"),
                 "--workers", "2"]) == 2
    assert f"{tmp_path / 'wl.csv'}:5:" in capsys.readouterr().err


def test_screen_reports_entries_useless_for_screening(tmp_path, capsys):
    (tmp_path / "wl.csv").write_text(WL + "E5,Smith,John,,,,,,,,LOOKOUT\n", encoding="utf-8")
    (tmp_path / "q.csv").write_text(Q, encoding="utf-8")
    assert main(["screen", "-w", str(tmp_path / "wl.csv"), "-t", str(tmp_path / "q.csv"), "-o", str(tmp_path / "o.jsonl")]) == 0
    err = capsys.readouterr().err
    assert "entries useless for screening" in err and "E5" in err and "E3" not in err


def test_screen_on_workers_builds_the_screener_once_and_shares_it(tmp_path, monkeypatch, capsys):
    """Forked workers inherit the screener built before the fork: one build, whatever N."""
    from pipelines.screening import cli
    from pipelines.screening.engine.score import Screener
    if not cli.shared_workers()[1]:
        return  # no fork here: spawned workers build their own (covered by the test above)
    builds = []
    original = Screener.__init__

    def counting(self, *args, **kwargs):
        builds.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Screener, "__init__", counting)
    (tmp_path / "wl.csv").write_text(WL, encoding="utf-8")
    (tmp_path / "q.csv").write_text(Q, encoding="utf-8")
    out = tmp_path / "matches.jsonl"
    assert main(["screen", "-w", str(tmp_path / "wl.csv"), "-t", str(tmp_path / "q.csv"), "-o", str(out),
                 "--workers", "3"]) == 0
    assert builds == [1]  # here, before the fork; the workers screened with it
    assert out.read_text(encoding="utf-8").count("\n") == 2 and "on 3 workers" in capsys.readouterr().err
