"""Evaluation's named permissions (see organizations/rules.py for the model)."""

import rules

from organizations.rules import is_evaluator, is_programme_staff

# Opening evaluations, assigning evaluators, deciding, moderating residents' feedback.
rules.add_perm("evaluation.manage_evaluation", is_programme_staff)
# The evaluator's own score sheets (each sheet is then checked against its evaluator).
rules.add_perm("evaluation.score_evaluations", is_evaluator)
