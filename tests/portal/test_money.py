import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.money import MAX_FEN, YuanField, fen_to_yuan, format_fen, parse_yuan, yuan_to_fen


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (0, "CNY", "¥0.00"),
        (1, "CNY", "¥0.01"),
        (123456, "CNY", "¥1,234.56"),
        (500_000_000, "CNY", "¥5,000,000.00"),
        (-12345, "CNY", "-¥123.45"),
        (250, "USD", "$2.50"),
        (100, "JPY", "JPY 1.00"),
    ],
)
def test_format_fen_formats_minor_units(amount, currency, expected):
    assert format_fen(amount, currency) == expected


def test_format_fen_whole_rounds_half_up():
    assert format_fen(123450, decimals=False) == "¥1,235"
    assert format_fen(None) == "—"


@pytest.mark.parametrize(
    ("text", "fen"),
    [("12.5", 1250), ("1,000", 100000), ("¥0.01", 1), ("  3 ", 300), ("0", 0)],
)
def test_yuan_to_fen_parses_exactly(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["abc", "1.005", "NaN", "Infinity", "", "1e400x"])
def test_yuan_to_fen_rejects_bad_input(text):
    with pytest.raises(ValueError):
        yuan_to_fen(text)


@pytest.mark.parametrize(
    "text", ["100,00", "1e3", "1E3", "1_000", "1,0000", ",100", "1,00.5", "-5", "5.", ".5", "٣"]
)
def test_yuan_to_fen_rejects_what_a_person_did_not_mean(text):
    with pytest.raises(ValueError):
        yuan_to_fen(text)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1,234,567.8", 123456780),
        ("１２３．４５", 12345),  # full-width, as a Chinese input method types it
        ("￥88.50", 8850),
        ("007", 700),
    ],
)
def test_yuan_to_fen_reads_grouped_and_full_width_amounts(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(("fen", "text"), [(0, "0"), (5, "0.05"), (123450, "1234.50"), (500, "5")])
def test_fen_to_yuan_round_trips(fen, text):
    assert fen_to_yuan(fen) == text
    assert yuan_to_fen(text) == fen


def test_fen_to_yuan_of_nothing_is_empty():
    assert fen_to_yuan(None) == ""


def test_parse_yuan_enforces_the_limits_with_translated_messages():
    with pytest.raises(ValidationError) as low:
        parse_yuan("0", min_fen=1)
    with pytest.raises(ValidationError) as high:
        parse_yuan("100.01", max_fen=10000)
    with pytest.raises(ValidationError) as bad:
        parse_yuan("100,00")

    assert (low.value.code, low.value.messages) == ("min_value", ["请输入不少于¥0.01的金额。"])
    assert (high.value.code, high.value.messages) == ("max_value", ["请输入不超过¥100.00的金额。"])
    assert (bad.value.code, bad.value.messages) == (
        "invalid",
        ["请输入以元为单位的金额，例如 88 或 88.50。"],
    )


class _Form(forms.Form):
    amount = YuanField(label="amount", min_fen=100, max_fen=100_000_00)
    optional = YuanField(label="optional", required=False, min_fen=0)


def test_yuan_field_cleans_to_fen_and_keeps_what_was_typed_on_error():
    good = _Form({"amount": "1,000.5", "optional": ""})
    bad = _Form({"amount": "1e3", "optional": "0"})

    assert good.is_valid()
    assert good.cleaned_data == {"amount": 100050, "optional": None}
    assert not bad.is_valid()
    assert bad.errors == {"amount": ["请输入以元为单位的金额，例如 88 或 88.50。"]}
    assert 'value="1e3"' in str(bad["amount"])
    assert 'inputmode="decimal"' in str(bad["amount"])


def test_yuan_field_shows_an_initial_amount_in_yuan():
    form = _Form(initial={"amount": 123450})

    assert 'value="1234.50"' in str(form["amount"])


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789,.¥ -e_+１，．") | st.characters(), max_size=30))
def test_parse_yuan_only_ever_raises_validation_error(text):
    try:
        fen = parse_yuan(text, min_fen=0, max_fen=MAX_FEN)
    except ValidationError:
        return

    assert 0 <= fen <= MAX_FEN
    assert yuan_to_fen(fen_to_yuan(fen)) == fen
