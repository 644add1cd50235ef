"""Amounts in Chinese financial capitals (大写金额), checked by hand against the rules
for cheques and receipts: 零 read once for a run of zeros inside the number, 整 after
whole yuan, 零 before 分 when there are no 角."""

import pytest

from portal.core.money import MAX_FEN, fen_to_capitals

HAND_CHECKED = [
    (100_000, "壹仟元整"),
    (12_345, "壹佰贰拾叁元肆角伍分"),
    (100_500, "壹仟零伍元整"),
    (1_000_000, "壹万元整"),
    (1_005_000, "壹万零伍拾元整"),
    (1_010_000, "壹万零壹佰元整"),
    (1_100_000, "壹万壹仟元整"),
    (10_005_000, "壹拾万零伍拾元整"),
    (100_100, "壹仟零壹元整"),
    (101_000, "壹仟零壹拾元整"),
    (1_000, "壹拾元整"),
    (1_005, "壹拾元零伍分"),
    (1_010, "壹拾元壹角"),
    (105, "壹元零伍分"),
    (50, "伍角"),
    (5, "伍分"),
    (0, "零元整"),
    (10_000_000_000, "壹亿元整"),
    (10_001_000_000, "壹亿零壹万元整"),
    (12_000_000_000, "壹亿贰仟万元整"),
    (200_000_030_000, "贰拾亿零叁佰元整"),
    (MAX_FEN, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
]


@pytest.mark.parametrize(("fen", "expected"), HAND_CHECKED)
def test_fen_to_capitals_matches_hand_checked_text(fen, expected):
    assert fen_to_capitals(fen) == expected


@pytest.mark.parametrize("fen", [-1, MAX_FEN + 1])
def test_fen_to_capitals_refuses_out_of_range_amounts(fen):
    with pytest.raises(ValueError, match="out of range"):
        fen_to_capitals(fen)
