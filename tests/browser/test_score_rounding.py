"""One rounding rule for a review's total (#15): the running total the score form shows
(review/score.js, run here in Chromium) equals the total the server stores
(projects.review.services.weighted_total), halves rounded up, for awkward values."""

import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from projects.review.services import weighted_total

SCRIPT = Path(__file__).resolve().parents[2] / "projects/review/static/review/score.js"

# (weight, scale_min, scale_max, value) rows per case
CASES = [
    [(9, 0, 8, 1)],  # 1.125 → 1.13 (was 1.12 on the server, 1.13 in the form)
    [(107, 0, 40, 1)],  # 2.675 (2.67499… as a binary float) → 2.68
    [(1, 0, 8, 1), (20, 0, 10, 7.5)],  # 0.125 + 15 → 15.13
    [(25, 0, 3, 1), (25, 0, 3, 2)],  # 8.33… + 16.66… → 25
    [(20, 0, 10, 9.5), (25, 0, 10, 8.5), (20, 0, 10, 7), (15, 0, 10, 6.5), (10, 0, 10, 10)],
    [(7, 1, 9, 2)],  # 0.875 → 0.88
    [(10, 0, 6, 5.5), (15, 0, 7, 3.5)],  # 9.1666… + 7.5 → 16.67
]


def _server(rows) -> str:
    criteria = [
        SimpleNamespace(
            pk=i, weight=w, scale_min=Decimal(lo), scale_max=Decimal(hi), independent=False
        )
        for i, (w, lo, hi, _v) in enumerate(rows)
    ]
    values = {i: Decimal(str(v)) for i, (*_rest, v) in enumerate(rows)}
    return format(weighted_total(criteria, values).normalize(), "f")


def _form(rows) -> str:
    inputs = "".join(
        f'<input class="review-score" data-weight="{w}" data-min="{lo}" data-max="{hi}" '
        f'data-independent="0" value="{v}">'
        for w, lo, hi, v in rows
    )
    return f'<form id="score-form">{inputs}</form><output id="review-total"></output>'


@pytest.mark.browser
def test_running_total_matches_the_stored_total(page):
    script = SCRIPT.read_text()
    shown = []
    for rows in CASES:
        page.set_content(f"<!doctype html><body>{_form(rows)}<script>{script}</script></body>")
        shown.append(page.text_content("#review-total"))

    assert shown == [_server(rows) for rows in CASES]
    assert json.dumps(shown[:2]) == '["1.13", "2.68"]'
