import pytest

from portal.core.money import format_fen, yuan_to_fen


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
