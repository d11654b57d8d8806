"""The name comparison kernel (:mod:`pipelines.screening.engine.compiled.fast_names`) gives the
same result in batches (the compiled pre-scoring) as pair by pair (``compare_names``, which the
engine scores and explains with), and its weak-name-only flag equals the Screener's own rule.

``compare_names`` is called with its final ``round`` disabled, so the batch scores are compared
with the unrounded value (bit-identical expected, 1e-12 tolerated); ``common_only`` and the
weak-name-only flag (``Screener._weak_name_only``) must agree on every pair."""

from __future__ import annotations

import csv
import json
import random
from contextlib import contextmanager
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from pipelines.screening.engine import compare as compare_mod
from pipelines.screening.engine.compare import compare_names
from pipelines.screening.engine.compiled.fast_names import NameTables
from pipelines.screening.normalise.names import NameForm, name_form
from pipelines.screening.engine.score import Screener
from pipelines.screening.engine.settings import load_settings

PARAMS = load_settings().name


@contextmanager
def _unrounded():
    """compare_names without its final round(score, 4)."""
    compare_mod.round = lambda value, digits=None: value
    try:
        yield
    finally:
        del compare_mod.round


def _check(pairs, common=frozenset(), token_people=None, rare_limit=3.0, params=PARAMS, tables=None):
    """Compare kernel and Python on (query form, entry form) pairs; return the number checked."""
    token_people = token_people or {}
    if tables is None:
        tables = NameTables(params, common, token_people, rare_limit)
    q = np.array([tables.add_form(a) for a, _ in pairs], dtype=np.int32)
    e = np.array([tables.add_form(b) for _, b in pairs], dtype=np.int32)
    score, common_only, weak = tables.compare_pairs(q, e)
    screener = SimpleNamespace(index=SimpleNamespace(token_people=token_people), _rare_limit=rare_limit)
    bad = []
    with _unrounded():
        for k, (a, b) in enumerate(pairs):
            ref = compare_names(a, b, params, common)
            if a and b:
                ref_weak = Screener._weak_name_only(screener, ref)
            else:  # Python cannot tell (no forms on the result): the kernel's documented rule
                ref_weak = not (a.loose or b.loose) and bool(a or b)
            if abs(score[k] - ref.score) > 1e-12 or bool(common_only[k]) != ref.common_only \
                    or bool(weak[k]) != ref_weak:
                bad.append(f"{a} | {b}: kernel ({score[k]!r}, {common_only[k]}, {weak[k]}) "
                           f"python ({ref.score!r}, {ref.common_only}, {ref_weak})")
    assert not bad, f"{len(bad)} of {len(pairs)} pairs differ, first:\n" + "\n".join(bad[:10])
    return len(pairs)


def _form(full=None, surname=None, given=None, low_quality=False):
    return name_form(surname, given, full, low_quality)


EDGE = [
    (_form("JOHN SMITH"), _form("SMITH JOHN")),
    (_form(surname="SMITH", given="JOHN"), _form(surname="JOHN", given="SMITH")),
    (_form("ABDUL RAHMAN"), _form("ABDULRAHMAN")),
    (_form("ABDULRAHMAN KHAN"), _form("ABDUL RAHMAN KHAN")),
    (_form("JUAN DE LA CRUZ"), _form("JUAN DELACRUZ")),
    (_form("DE LA CRUZ JUAN"), _form("JUAN CRUZ")),
    (_form("J SMITH"), _form("JOHN SMITH")),
    (_form("J P SMITH"), _form("JOHN PAUL SMITH")),
    (_form(surname="GIM", given="JONG UN"), _form(surname="KIM", given="JONG UN")),
    (_form("I MYUNG BAK"), _form("LEE MYUNG PARK")),
    (_form("FERNANDO GARCIA"), _form("FERNANDA GARCIA")),
    (_form("JULIO"), _form("JULIA")),
    (_form("BILL CLINTON"), _form("WILLIAM CLINTON")),
    (_form("BOB ROBERTS"), _form("ROBERT ROBERTS")),
    (_form("MOHAMMED ALI"), _form("MUHAMMAD ALI", low_quality=True)),
    (_form("ALI", low_quality=True), _form("ALI")),
    (_form("MADONNA"), _form("MADONNA")),
    (_form("MADONNA"), _form("MADONA CICCONE")),
    (_form("X"), _form("X")),
    (_form("X"), _form("XAVIER")),
    (_form("A B C D"), _form("ABCD")),
    (_form("AB CD"), _form("ABC D")),
    (_form("HASSAN"), _form("HOSSEINI")),
    (_form("OSAMA BIN LADEN"), _form("USAMA BIN LADIN")),
    (_form("AL"), _form("EL")),
    (_form("VAN DER BERG"), _form("VANDERBERG")),
    (_form("BORIS VEKSELBERG"), _form("VIKTOR VEKSELBERG")),
    (_form(surname="SMITH", given="JOHN"), _form("JOHN JONES")),
    (_form(""), _form("JOHN")),
    (_form(""), _form("")),
    (_form("Mr"), _form("MR SMITH")),
    (_form("SERGEY SHOIGU SHOIGU"), _form("SERGEI SHOYGU")),
    (_form("巴拉克奥巴马"), _form("BARACK OBAMA")),
    (_form("习近平"), _form("XI JINPING")),
    (_form("김정은"), _form("KIM JONG UN")),
    (_form("Владимир Путин"), _form("VLADIMIR PUTIN")),
    (_form("محمد بن سلمان"), _form("MOHAMMED BIN SALMAN")),
    (_form("בנימין נתניהו"), _form("BENJAMIN NETANYAHU")),
    (_form("ウラジーミル・プーチン"), _form("VLADIMIR PUTIN")),
    # feminine Slavic surnames, patronymics, initials, names run together
    (_form("OLGA BARYNOVA"), _form("OLEG BARANOV")),
    (_form("IVANA PETROVA"), _form("IVAN PETROV")),
    (_form("ANNA KOWALSKA"), _form("JAN KOWALSKI")),
    (_form("NARENDER MODI"), _form("NARENDRA MODI")),
    (_form("VOLODYMYR ZELENSKYY"), _form("VOLODYMYR OLEKSANDROVYCH ZELENSKYY")),
    (_form("SERGEY IVANOVICH LAVROV"), _form("SERGEY VIKTOROVICH LAVROV")),
    (_form("ALEXANDER LUKASHEVICH"), _form("ALEXANDER LUKASHENKO")),
    (_form(surname="KARPOVICH", given="IVAN"), _form("IVAN KARPOVICH")),
    (_form("ANNA PETROVNA"), _form("ANNA")),
    (_form("ALI A VELAYATI"), _form("ALI AKBAR VELAYATI")),
    (_form("POLPOT"), _form("POL POT")),
    (_form("SergeiLavrov"), _form("SERGEI LAVROV")),
    (_form("DELACRUZ"), _form("JUAN DE LA CRUZ")),
    # a particle opening the given names is a given name (Vietnamese VAN); a silent final H
    (_form(surname="NGUYEN", given="VAN DUC"), _form(surname="NGUYEN", given="VAN")),
    (_form(surname="LAM", given="VAN NAM"), _form("VAN NAM LAM")),
    (_form(surname="VAN GOGH", given="VINCENT"), _form(surname="GOGH", given="VAN")),
    (_form(surname="DER BERG", given="VAN"), _form("JAN VAN DER BERG")),
    (_form(surname="DE LA CRUZ", given="DE LA"), _form(surname="CRUZ", given="DE")),
    (_form(surname="SHAH", given="KAVITA"), _form(surname="SHA", given="KAVITA")),
    # Latvian nominative -S (and J for the y-glide); not on the loose path
    (_form("SERGEJS LAVROVS"), _form("SERGEY VIKTOROVICH LAVROV")),
    (_form("VLADIMIRS PUTINS"), _form("VLADIMIR PUTIN")),
    (_form("MATTHEWS SMITH"), _form("MATTY SMITH")),
    (_form("EDWARDS JONES"), _form("EDWARD JONES")),
    (_form("SCOGGINS"), _form("스코긴스")),
    (_form("EDVINS"), _form("에드빈스")),
    # nicknames: a formal name and its form (direct) vs two forms of one name (indirect)
    (_form("MATTHIAS MUELLER"), _form("MATTY MUELLER")),
    (_form("MATTHEW MUELLER"), _form("MATTY MUELLER")),
    (_form("BILL SMITH"), _form("LIAM SMITH")),
    (_form("KIT JONES"), _form("CRISTOBAL JONES")),
    (_form("PACO GARCIA"), _form("FRANCISCO GARCIA")),
    # initials run together are still initials
    (_form("uA"), _form("AA")),
    (_form("J R SMITH"), _form("JR SMITH")),
    (_form("J R"), _form("JR")),
    # initials spelled out: several agreeing are one part; run together they meet given names
    (_form("J.-C. Juncker"), _form("Jean-Claude Juncker")),
    (_form("JC Juncker"), _form("Jean-Claude Juncker")),
    (_form("JFK"), _form("JOHN FITZGERALD KENNEDY")),
    (_form("JC DE LA CRUZ"), _form("JUAN DE CARLOS DE LA CRUZ")),
    (_form("NG KWOK WAI"), _form("NATHAN GEORGE KWOK")),
    (_form("A A"), _form("A A")),
    (_form("A B SMITH"), _form("A B SMITH")),
    # a particle that is a given name's short form, against that given name
    (_form("BEN NETANYAHU"), _form("BENJAMIN NETANYAHU")),
    (_form("AL ASSAD"), _form("BASHAR AL ASSAD")),
    (_form("AL CAPONE"), _form("ALPHONSE CAPONE")),
]


def test_edge_cases_equal():
    pairs = EDGE + [(b, a) for a, b in EDGE]
    common = frozenset({"SMITH", "JOHN", "GARCIA"})
    people = {"SMITH": 50, "CLINTON": 1, "RAHMAN": 2, "ABDUL": 40, "KHAN": 9, "CRUZ": 3}
    assert _check(pairs, common, people, 3.0) == len(pairs)
    # other parameters (initial above 0.7, no lost-surname rule, strong common factor)
    params = dict(PARAMS, initial=0.75, lost_surname_extra=0.0, common_name_factor=0.5, min_token_similarity=0.3,
                  nickname_indirect=0.6)
    _check(pairs, common, people, 3.0, params=params)


def test_same_form_same_id_and_growth():
    tables = NameTables(PARAMS, frozenset(), {}, 3.0)
    a = tables.add_form(_form("JOHN SMITH"))
    assert tables.add_form(_form("JOHN SMITH")) == a
    assert tables.add_form(_form("JOHN SMITH", low_quality=True)) != a
    pairs = [(_form(f"N{i:04d} SMITH"), _form(f"SMITH N{i:04d}X")) for i in range(3000)]
    _check(pairs[:10], tables=tables)  # arrays exist, then grow past their first capacity
    _check(pairs, tables=tables)
    assert tables.compare_pairs(np.zeros(0, np.int32), np.zeros(0, np.int32))[0].shape == (0,)
    # tokens outside latin-1 (never produced by normalise) widen the character table, still exact
    odd = [(NameForm(("ŁUKASZ", "SMITH"), (False, True)), NameForm(("LUKASZ", "SMITH"), (False, True))),
           (NameForm(("ÉMILE",), (False,)), NameForm(("EMILE",), (False,)))]
    _check(odd + pairs[:50], tables=tables)


def test_forgotten_names_ids_reused_with_fresh_records():
    """Tokens and forms interned after ``forget_since_mark`` take the forgotten ids again: the
    packed records the kernel reads must be remade for them, not kept from the forgotten names
    (stale, PETER would have the skeleton of SMYTHE, forgotten at the same token id, and pair
    with SMITH; PETER PAUL JONES the token count of JOHN SMYTHE, at the same form id)."""
    tables = NameTables(PARAMS, frozenset(), {}, 3.0)
    listed = [_form("JOHN SMITH"), _form("MARIA GARCIA LOPEZ")]
    for form in listed:
        tables.add_form(form)
    tables.mark()
    _check([(_form("JOHN SMYTHE"), listed[0]), (_form("MARIA LOPES"), listed[1])], tables=tables)
    tables.forget_since_mark()
    _check([(_form("PETER PAUL JONES"), listed[0]), (_form("LOPEZ MARIANA"), listed[1]),
            (_form("JOHN SMYTHE"), listed[0])], tables=tables)


def _travellers(n, seed=3):
    from pipelines.generate.synthetic import fake_manifests
    from pipelines.screening.lists.watchlist import traveller_from_api
    out = []
    for manifest in fake_manifests((n + 99) // 100, 100, seed=seed):
        for person in manifest["persons"]:
            out.append(traveller_from_api({"traveller_id": f"{manifest['message_id']}/{person['person_id']}",
                                           "person": person}))
    return out[:n]


def test_synthetic_list_candidates_equal():
    from pipelines.screening.engine.index import CandidateIndex
    from pipelines.generate.synthetic import fake_entries
    entries = list(fake_entries(20_000))
    index = CandidateIndex(entries)
    rare_limit = max(3.0, len(index) * 2e-5)
    pairs = []
    for traveller in _travellers(600):
        form = name_form(traveller.surname, traveller.given_names, traveller.full_name)
        if not form:
            continue
        for position in index.candidates((form,)):
            pairs.extend((form, entry_form) for entry_form in index.forms[position])
    rng = random.Random(5)
    all_forms = [f for forms in index.forms for f in forms]
    pairs += [(rng.choice(all_forms), rng.choice(all_forms)) for _ in range(5000)]
    assert len(pairs) > 10_000
    _check(pairs, index.common, index.token_people, rare_limit)


def _netranslit(names, script, n, rng):
    rows = []
    with open(names / "netranslit" / f"wd_{script}_20.tsv", encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2:
                rows.append((parts[0], parts[1].replace(" ", "")))
    return rng.sample(rows, min(n, len(rows)))


def test_shared_name_sets_equal(shared_data):
    names = shared_data / "names"
    rng = random.Random(11)
    pairs = []
    for script in ("arabic", "chinese", "korean", "russian", "katakana", "hebrew"):
        rows = _netranslit(names, script, 600, rng)
        for k in range(0, len(rows) - 1, 2):
            (l1, n1), (l2, n2) = rows[k], rows[k + 1]
            native = _form(f"{n1} {n2}")
            pairs.append((native, _form(f"{l1} {l2}")))
            pairs.append((_form(f"{l2} {l1}"), native))
            pairs.append((native, _form(f"{l1} {rows[k - 2][0]}")))
            pairs.append((_form(n1), _form(l1)))
            pairs.append((_form(surname=n2, given=n1), _form(surname=l2, given=l1)))
    with open(names / "arabnamer_dict_FINAL_en_ar.json", encoding="utf-8") as fh:
        arab = list(json.load(fh).items())
    arab = rng.sample(arab, 1200)
    for k in range(0, len(arab) - 1, 2):
        (l1, a1), (l2, a2) = arab[k], arab[k + 1]
        pairs.append((_form(f"{l1} {l2}"), _form(f"{a1} {a2}")))
        pairs.append((_form(f"{a1} {a2}"), _form(f"{l1} AL {l2}")))
    with open(names / "nomenklatura_name_bench_cases.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            pairs.append((_form(row["name1"]), _form(row["name2"])))
            pairs.append((_form(row["name2"]), _form(row["name1"])))
    with open(names / "splink_fake_1000.csv", encoding="utf-8") as fh:
        people = list(csv.DictReader(fh))
    for a in people:
        for b in rng.sample(people, 3) + [p for p in people if p["cluster"] == a["cluster"]]:
            pairs.append((_form(surname=a["surname"], given=a["first_name"]),
                          _form(surname=b["surname"], given=b["first_name"])))
    with open(names / "nicknames_names.csv", encoding="utf-8") as fh:
        nick = list(csv.DictReader(fh))
    for row in rng.sample(nick, 800):
        pairs.append((_form(f"{row['name1']} SMITH"), _form(f"{row['name2']} SMITH")))
    common = frozenset({"MOHAMMED", "ALI", "WANG", "LI", "KIM", "SMITH", "JOHN"})
    people_counts = {t: rng.randint(0, 8) for a, b in pairs for t in b.tokens}
    assert len(pairs) > 8_000
    _check(pairs, common, people_counts, 3.0)


_VOCAB = ["AL", "DE", "LA", "BIN", "VAN", "GIM", "KIM", "I", "LEE", "BILL", "WILLIAM", "ROBERT", "BOB",
          "MOHAMMED", "MUHAMMAD", "FERNANDO", "FERNANDA", "ABDUL", "RAHMAN", "ABDULRAHMAN", "J", "X",
          "SMITH", "MARIA", "GARCIA"]
_TOKEN = st.one_of(st.sampled_from(_VOCAB), st.text(alphabet="ABDEHKLMNORSU", min_size=1, max_size=7))
_FORM = st.builds(
    lambda toks, flags, loose, lowq: NameForm(tuple(dict.fromkeys(toks)), tuple(flags[:len(dict.fromkeys(toks))]),
                                              loose, lowq),
    st.lists(_TOKEN, min_size=0, max_size=5), st.lists(st.booleans(), min_size=5, max_size=5),
    st.booleans(), st.booleans())
_TABLES = NameTables(PARAMS, frozenset({"SMITH", "MARIA", "KIM", "ABD"}),
                     {"SMITH": 9, "MARIA": 4, "RAHMAN": 1, "KIM": 7, "ABDUL": 5}, 3.0)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_FORM, _FORM), min_size=1, max_size=20))
def test_random_token_lists_equal(pairs):
    _check(pairs, _TABLES.common, _TABLES.token_people, 3.0, tables=_TABLES)
