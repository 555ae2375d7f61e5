"""Detectors on hand-made column arrays: no database, each pattern and its honest look-alike."""

import datetime as dt

import numpy as np

from techreg import labels
from techreg.detection import backdated, duplicate, large_software, split
from techreg.detection.base import Context
from techreg.detection.columns import Columns, day_numbers

D0 = dt.date(2025, 1, 1)


def cols(rows: list[dict]) -> Columns:
    def col(name, default=None):
        return [r.get(name, default) for r in rows]

    def days(name, default):
        return day_numbers([D0 + dt.timedelta(days=r.get(name, default)) for r in rows])

    return Columns(
        ref=np.array([f"R{i}" for i in range(len(rows))], dtype=object),
        seller=np.array(col("seller", 1), np.int32), buyer=np.array(col("buyer", 2), np.int32),
        kind=np.array(col("kind", "development"), dtype=object), domain=np.array(col("domain", "electronic_information"), dtype=object),
        software=np.array(col("software", False), bool),
        amount=np.array(col("amount", 100_000.0), float), tech_amount=np.array(col("tech", 100_000.0), float),
        signed=days("signed", 0), perf_start=days("start", 5), perf_end=days("end", 200), filed=days("filed", 10),
        contract_prefix=np.array(col("prefix", "HT-"), dtype=object), contract_seq=np.array(col("seq", -1), np.int64),
        contract_key=np.array([r.get("no", f"N{i}") for i, r in enumerate(rows)], dtype=object),
        title_core=np.array(col("core", "智慧园区管理平台开发合同"), dtype=object),
        title_marks=np.array(col("marks", ""), dtype=object),
        part_marks=np.array([r.get("part", r.get("marks", "")) for r in rows], dtype=object),
        title_subject=np.array([r.get("subject", r.get("core", "智慧园区管理平台")) for r in rows], dtype=object),
        point=np.array(col("point", "310101"), dtype=object),
        seller_brand=np.array(col("brand", -1), np.int32),
    )


def test_backdated_performance_before_signing_weak_vs_strong():
    c = cols([{"signed": 100, "start": 97}, {"signed": 100, "start": 80}, {"signed": 200, "start": 20}])
    f = backdated.detect(Context(c))
    scores = dict(zip(f.rows.tolist(), f.scores.tolist()))
    assert 0 not in scores                   # three days early: ordinary
    assert 1 in scores and 2 in scores
    assert scores[2] > scores[1] >= 0.35     # months early is stronger than weeks
    assert "180" in f.reasons[list(f.rows).index(2)][0]


def test_backdated_signed_after_work_ended():
    f = backdated.detect(Context(cols([{"signed": 300, "start": 0, "end": 250, "filed": 310}])))
    assert f.rows.tolist() == [0] and f.scores[0] > 0.9
    assert "履行期限止" in f.reasons[0][0]


def test_backdated_sequence_inversion_flags_only_the_outlier():
    # seller numbers contracts 1..5 in date order; no. 6 claims a date five months before no. 5
    rows = [{"seq": k, "signed": 30 * k, "start": 30 * k + 2, "end": 30 * k + 100, "filed": 30 * k + 5}
            for k in range(1, 6)]
    rows.append({"seq": 6, "signed": 10, "start": 12, "end": 200, "filed": 160})
    # numbering goes on in date order after it
    rows.append({"seq": 7, "signed": 190, "start": 192, "end": 300, "filed": 195})
    # another seller's numbering is independent
    rows.append({"seller": 9, "seq": 1, "signed": 400, "start": 401, "end": 500, "filed": 405})
    # a series that restarts (numbers without a year, begun again): its first contract is no inversion
    rows += [{"seller": 11, "seq": k, "signed": 400 + 10 * k, "start": 402 + 10 * k, "end": 500 + 10 * k,
              "filed": 405 + 10 * k} for k in (20, 21, 22, 23)]
    rows += [{"seller": 11, "seq": k, "signed": 10 * k, "start": 2 + 10 * k, "end": 100 + 10 * k,
              "filed": 5 + 10 * k} for k in (1, 2, 3)]
    f = backdated.detect(Context(cols(rows)))
    assert f.rows.tolist() == [5]
    assert "倒挂" in f.reasons[0][0]


def test_a_series_that_wobbles_accuses_only_a_step_far_beyond_its_wobble():
    # numbers taken at drafting, one every 5 days; now and then a contract is signed ~45 days before its
    # neighbours in number order: the series' own wobble, not back-dating
    def series(early: dict[int, int]):
        return [{"seq": k + 1, "signed": 5 * k - early.get(k, 0), "start": 5 * k - early.get(k, 0) + 5,
                 "end": 5 * k + 200, "filed": 5 * k + 10} for k in range(50)]
    wobble = {10: 45, 25: 45, 40: 45}
    assert len(backdated.detect(Context(cols(series(wobble))))) == 0
    # one contract claiming a date 150 days before its neighbours: far beyond the wobble
    assert backdated.detect(Context(cols(series(wobble | {32: 150})))).rows.tolist() == [32]


def test_a_series_begun_again_is_no_backdating():
    # numbers without a year: last year's run ended at 21, this year's starts again at 1
    rows = [{"seq": q, "signed": d, "start": d + 5, "end": d + 200, "filed": d + 10}
            for q, d in [(21, 0)] + [(k, 400 + 30 * k) for k in range(1, 9)]]
    assert len(backdated.detect(Context(cols(rows)))) == 0


def test_late_application_alone_is_no_backdating_but_strengthens_evidence():
    late = 400
    consistent = {"signed": 100, "start": 105, "end": 300, "filed": 100 + late}
    assert len(backdated.detect(Context(cols([consistent])))) == 0
    early, early_and_late = ({"signed": 100, "start": 60, "end": 300, "filed": 100 + days} for days in (10, late))
    f = backdated.detect(Context(cols([early, early_and_late])))
    assert f.rows.tolist() == [0, 1] and f.scores[1] > f.scores[0]
    assert "仅作佐证" in f.reasons[1][-1] and len(f.reasons[0]) == 1
    assert labels.halves(f.reasons[1][-1]) == (f"另：签订后 {late} 天才申请登记（仅作佐证）",
                                               f"also applied for registration {late} days after signing (supporting only)")


def test_honest_filings_are_not_backdated():
    rows = [{"signed": k, "start": k + 3, "end": k + 90, "filed": k + 20, "seq": k} for k in range(50)]
    assert len(backdated.detect(Context(cols(rows)))) == 0


def _software_peers(n=40, seller_base=100):
    rng = np.random.default_rng(0)
    return [{"software": True, "tech": float(v), "amount": float(v), "seller": seller_base + i}
            for i, v in enumerate(rng.lognormal(12, 0.4, n))]


def test_large_software_at_the_line():
    rows = _software_peers() + [{"software": True, "tech": 5_200_000.0, "amount": 5_500_000.0, "seller": 1}]
    f = large_software.detect(Context(cols(rows)))
    assert len(rows) - 1 in f.rows.tolist()
    assert any("大额线" in r for r in f.reasons[f.rows.tolist().index(len(rows) - 1)])


def test_large_software_relative_to_peers_and_own_history():
    own = [{"software": True, "tech": 150_000.0, "seller": 7} for _ in range(5)]
    big = {"software": True, "tech": 3_000_000.0, "seller": 7}  # under the line, 20x its own usual size
    rows = _software_peers() + own + [big]
    f = large_software.detect(Context(cols(rows)))
    target = len(rows) - 1
    assert target in f.rows.tolist()
    assert not set(f.rows.tolist()) & set(range(len(rows) - 1))
    assert any("倍" in r for r in f.reasons[f.rows.tolist().index(target)])


def test_big_seller_with_consistently_big_contracts_is_only_flagged_at_the_line():
    own = [{"software": True, "tech": 3_000_000.0 + k, "seller": 8} for k in range(6)]
    f = large_software.detect(Context(cols(_software_peers() + own)))
    assert len(f) == 0


def test_inflated_contracts_of_one_season_do_not_vouch_for_each_other():
    own = [{"software": True, "tech": 150_000.0 + 1000 * k, "seller": 7, "signed": 10 * k} for k in range(12)]
    burst = [{"software": True, "tech": t, "seller": 7, "signed": d}
             for t, d in ((3_000_000.0, 200), (2_600_000.0, 201), (4_200_000.0, 290))]
    rows = _software_peers() + own + burst
    f = large_software.detect(Context(cols(rows)))
    assert set(f.rows.tolist()) == set(range(len(rows) - 3, len(rows)))


def test_a_big_deal_in_another_season_is_a_precedent():
    own = [{"software": True, "tech": 150_000.0 + 1000 * k, "seller": 7, "signed": 10 * k} for k in range(12)]
    apart = [{"software": True, "tech": t, "seller": 7, "signed": d} for t, d in ((3_000_000.0, 0), (2_600_000.0, 240))]
    f = large_software.detect(Context(cols(_software_peers() + own + apart)))
    assert len(f) == 0


def test_a_seller_whose_ordinary_amounts_have_long_tails_is_not_unusual_at_ten_times_its_median():
    # the middle of its history is tight (a small MAD) but its honest amounts reach 6x the median either side
    tight = [150_000.0 + 1000 * k for k in range(8)]
    tails = [25_000.0, 30_000.0, 700_000.0, 900_000.0]
    own = [{"software": k % 2 == 0, "tech": t, "seller": 7, "signed": 20 * k} for k, t in enumerate(tight + tails)]
    big = {"software": True, "tech": 1_600_000.0, "seller": 7, "signed": 400}     # ~10x its median
    rows = _software_peers() + own + [big]
    assert len(large_software.detect(Context(cols(rows)))) == 0
    # without the tails the same contract stands far above a tight history
    rows = _software_peers() + own[:8] + [big]
    f = large_software.detect(Context(cols(rows)))
    assert f.rows.tolist() == [len(rows) - 1]
    assert "是其以往最大一份软件合同（" in " ".join(f.reasons[0])


def test_an_earlier_inflated_contract_does_not_widen_the_spread_that_hides_the_next():
    own = [{"software": True, "tech": 150_000.0 + 1000 * k, "seller": 7, "signed": 10 * k} for k in range(12)]
    first = {"software": False, "tech": 3_500_000.0, "seller": 7, "signed": 130}    # far above, not software
    second = {"software": True, "tech": 3_000_000.0, "seller": 7, "signed": 400}
    rows = _software_peers() + own + [first, second]
    f = large_software.detect(Context(cols(rows)))
    assert f.rows.tolist() == [len(rows) - 1]


def test_no_other_software_contract_is_said_in_words():
    own = [{"software": False, "tech": 150_000.0 + 1000 * k, "seller": 7, "signed": 10 * k} for k in range(12)]
    rows = _software_peers() + own + [{"software": True, "tech": 3_000_000.0, "seller": 7, "signed": 400}]
    f = large_software.detect(Context(cols(rows)))
    assert f.rows.tolist() == [len(rows) - 1]
    text = " ".join(f.reasons[0])
    assert "卖方此前没有其他软件合同" in text and "no other software contract" in text
    assert "inf" not in text and "3000000.0×" not in text


def test_non_software_is_out_of_scope():
    f = large_software.detect(Context(cols([{"software": False, "tech": 9e7, "amount": 9e7}])))
    assert len(f) == 0


def _split(rows):
    c = cols(rows)
    return split.detect(Context(c))


def test_split_over_the_line_with_numbered_parts():
    rows = [{"tech": 3_000_000.0, "amount": 3_000_000.0, "signed": 0, "marks": "一"},
            {"tech": 2_600_000.0, "amount": 2_600_000.0, "signed": 6, "marks": "二"},
            {"tech": 90_000.0, "amount": 90_000.0, "signed": 3, "core": "供应链协同软件开发合同"}]  # unrelated subject
    f = _split(rows)
    assert sorted(f.rows.tolist()) == [0, 1]
    assert f.scores.min() >= 0.9
    reasons = f.reasons[f.rows.tolist().index(0)]
    assert any("5,000,000" in r for r in reasons) and any("5,600,000.00" in r for r in reasons)
    assert f.related[f.rows.tolist().index(0)].tolist() == [1]


def test_split_through_a_sister_company_under_an_unknown_line():
    # each part just under 1,000,000 yuan (a limit the registry does not know), second part via a sister company
    rows = [{"seller": 1, "brand": 77, "tech": 960_000.0, "amount": 960_000.0, "signed": 0},
            {"seller": 3, "brand": 77, "tech": 980_000.0, "amount": 980_000.0, "signed": 2,
             "start": 9, "end": 120}]
    f = _split(rows)
    assert sorted(f.rows.tolist()) == [0, 1]
    assert any("关联" in r for r in f.reasons[0])


def test_honest_look_alikes_are_not_splits():
    rows = [
        # yearly renewal: same title, a year apart
        {"tech": 3_000_000.0, "signed": 0}, {"tech": 3_000_000.0, "signed": 365},
        # real phases months apart
        {"buyer": 5, "tech": 3_000_000.0, "signed": 0, "marks": "一"},
        {"buyer": 5, "tech": 2_500_000.0, "signed": 150, "marks": "二"},
        # unrelated projects with one client, same week
        {"buyer": 6, "tech": 3_000_000.0, "signed": 0, "core": "数据中台开发合同"},
        {"buyer": 6, "tech": 2_500_000.0, "signed": 3, "core": "水处理膜技术咨询合同"},
        # a different seller that is not a sister company
        {"buyer": 8, "seller": 1, "brand": 1, "tech": 3_000_000.0, "signed": 0, "marks": "一"},
        {"buyer": 8, "seller": 4, "brand": 2, "tech": 2_500_000.0, "signed": 3, "marks": "二"},
    ]
    assert len(_split(rows)) == 0


def test_duplicate_flags_the_later_registration_only():
    original = {"tech": 800_000.0, "amount": 800_000.0, "signed": 0, "filed": 10, "no": "HT-7", "point": "310101"}
    copy = dict(original, tech=810_000.0, amount=810_000.0, filed=40, point="310104")
    c = cols([copy, original])
    f = duplicate.detect(Context(c))
    assert f.rows.tolist() == [0] and f.related[0].tolist() == [1]
    assert any("合同编号相同" in r for r in f.reasons[0]) and any("310104" in r for r in f.reasons[0])
    # the same pair's next contract (new number, its own term) is neither a duplicate nor a split
    c = cols([original, dict(original, no="HT-8", signed=20, filed=30, start=25, end=400)])
    assert len(duplicate.detect(Context(c))) == 0
