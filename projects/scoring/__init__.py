"""One scoring core for review (评审) and evaluation (评估).

Both score a sheet against a versioned rubric: review's ``Rubric``/``Criterion``/``Review``/
``Score``, evaluation's ``EvaluationRubric``/``Dimension``/``Assessment``/``DimensionScore``.
What they share lives here, once:

* :mod:`.models` — abstract bases: the versioned rubric (code + version, frozen once used)
  and the stored score value;
* :mod:`.numbers` — reading a typed number and printing one;
* :mod:`.services` — a rubric's next version, applying a sheet's scores with the audit
  diff, the staff check;
* :mod:`.forms` — the score sheet form's number fields and the rubric editor that refuses
  edits to a used version;
* :mod:`.admin` — the staff permission policy, role menu items, the rubric viewset with
  its “New version” action and the admin's 403 page and mixins.

The apps keep what differs (weighted criteria vs. dimension maxima with bonus and penalty
items, assignment vs. evaluator sheets, ranking vs. grades)."""
