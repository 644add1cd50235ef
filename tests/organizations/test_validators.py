import pytest
from django.core.exceptions import ValidationError

from organizations.validators import (
    credit_code_check_char,
    normalize_mobile,
    validate_credit_code,
    validate_mobile,
)
from tests.factories.organizations import make_credit_code


def test_credit_code_check_char_matches_published_example():
    # 91350100M000100Y43 is the example printed in GB 32100-2015's annex.
    assert credit_code_check_char("91350100M000100Y4") == "3"


def test_validate_credit_code_accepts_valid_code():
    validate_credit_code(make_credit_code(1234, "51"))


@pytest.mark.parametrize(
    "code, error",
    [
        ("52440300MJ000001X", "credit_code_format"),  # 17 characters
        ("52440300MJ00000IX1", "credit_code_format"),  # I is not in the charset
        ("524403000000012341", "credit_code_check"),
    ],
)
def test_validate_credit_code_rejects_bad_code(code, error):
    with pytest.raises(ValidationError) as info:
        validate_credit_code(code)

    assert info.value.code == error


def test_validate_credit_code_rejects_wrong_check_char():
    code = make_credit_code(77)
    wrong = code[:17] + ("0" if code[17] != "0" else "1")

    with pytest.raises(ValidationError) as info:
        validate_credit_code(wrong)

    assert info.value.code == "credit_code_check"


@pytest.mark.parametrize(
    "value", ["13812345678", "+86 138 1234 5678", "8619912345678", "138-1234-5678"]
)
def test_validate_mobile_accepts_mainland_numbers(value):
    validate_mobile(value)

    assert normalize_mobile(value) in {"13812345678", "19912345678"}


@pytest.mark.parametrize("value", ["12812345678", "1381234567", "0755-12345678", "abc"])
def test_validate_mobile_rejects_other_numbers(value):
    with pytest.raises(ValidationError) as info:
        validate_mobile(value)

    assert info.value.code == "mobile"
