"""One transition-table shape and one check (portal.core.transitions) for every
stateful model that has a table."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from organizations.enums import VERIFICATION_TRANSITIONS, VerificationStatus
from portal.core.errors import DomainError
from portal.core.transitions import InvalidTransition, allowed_targets, check_transition
from projects.delivery.enums import DELIVERY_TRANSITIONS, DeliveryStage
from projects.enums import APPLICATION_TRANSITIONS, ApplicationStatus
from projects.evaluation.enums import EVALUATION_TRANSITIONS, EvaluationStatus

TABLE = {("draft", "sent"): "tests.send", ("sent", "done"): None}


class Person:
    def __init__(self, *perms):
        self.perms = set(perms)
        self.asked = []

    def has_perm(self, perm, obj=None):
        self.asked.append((perm, obj))
        return perm in self.perms


def test_a_move_not_in_the_table_is_refused_with_both_states_named():
    with pytest.raises(InvalidTransition) as caught:
        check_transition(TABLE, current="draft", to="done", label=str.upper)

    with translation.override("en"):
        assert caught.value.messages == ["This cannot move from “DRAFT” to “DONE”."]
    with translation.override("zh-hans"):
        assert caught.value.messages == ["无法从“DRAFT”变为“DONE”。"]
    assert caught.value.code == "invalid_transition"


def test_a_caller_may_give_its_own_sentence_and_error_class():
    class Refused(DomainError):
        pass

    with pytest.raises(Refused) as caught:
        check_transition(TABLE, current="done", to="draft", message="No way back.", error=Refused)

    assert caught.value.messages == ["No way back."]


def test_the_permission_is_checked_on_the_object_for_a_person_not_for_the_system():
    obj = object()
    allowed, refused = Person("tests.send"), Person()

    check_transition(TABLE, current="draft", to="sent", by=allowed, obj=obj)
    check_transition(TABLE, current="draft", to="sent")  # the system acts
    check_transition(TABLE, current="sent", to="done", by=refused)  # no permission needed
    with pytest.raises(PermissionDenied, match="Editors only"):
        check_transition(
            TABLE, current="draft", to="sent", by=refused, obj=obj, denied="Editors only"
        )

    assert allowed.asked == [("tests.send", obj)]
    assert refused.asked == [("tests.send", obj)]


def test_allowed_targets_follow_the_table():
    assert allowed_targets(TABLE, "draft") == ["sent"]
    assert allowed_targets(TABLE, "done") == []


@pytest.mark.parametrize(
    "table,states",
    [
        (APPLICATION_TRANSITIONS, ApplicationStatus),
        (VERIFICATION_TRANSITIONS, VerificationStatus),
        (DELIVERY_TRANSITIONS, DeliveryStage),
        (EVALUATION_TRANSITIONS, EvaluationStatus),
    ],
)
def test_every_table_has_the_one_shape(table, states):
    """(from, to) of real states → a permission name ("app.verb") or None."""
    assert isinstance(table, dict) and table
    for (current, to), permission in table.items():
        assert current in states.values and to in states.values
        assert permission is None or (isinstance(permission, str) and "." in permission)


def test_invalid_transition_is_a_validation_error_for_forms():
    assert issubclass(InvalidTransition, ValidationError)


def test_a_table_refuses_in_its_own_words_with_state_labels():
    with pytest.raises(InvalidTransition) as caught:
        EVALUATION_TRANSITIONS.check(EvaluationStatus.OPEN, EvaluationStatus.PUBLISHED)

    with translation.override("en"):
        assert caught.value.messages == [
            "An evaluation that is “Open for scoring” cannot become “Published”."
        ]
    with translation.override("zh-hans"):
        assert caught.value.messages == [
            f"处于“{EvaluationStatus.OPEN.label}”状态的评估不能变为"
            f"“{EvaluationStatus.PUBLISHED.label}”。"
        ]
