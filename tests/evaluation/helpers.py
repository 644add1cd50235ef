from decimal import Decimal

from projects.evaluation import services


def dims(rubric):
    return list(rubric.dimensions.all())


def items(rubric, kind):
    return [i for i in rubric.adjustment_items.all() if i.kind == kind]


def scores_for(rubric, values):
    return {
        d.pk: (None if v is None else Decimal(str(v)))
        for d, v in zip(dims(rubric), values, strict=True)
    }


def submitted_evaluation(*, project, rubric, officer, evaluators, totals_by_sheet, kind="midterm"):
    """Open an evaluation and have one evaluator per value list submit those scores."""
    evaluation = services.open_evaluation(project=project, kind=kind, rubric=rubric, by=officer)
    for evaluator, values in zip(evaluators, totals_by_sheet, strict=False):
        sheet = services.assign_evaluator(evaluation=evaluation, evaluator=evaluator, by=officer)
        services.save_assessment(
            assessment=sheet, by=evaluator, scores=scores_for(rubric, values), submit=True
        )
    evaluation.refresh_from_db()
    return evaluation
