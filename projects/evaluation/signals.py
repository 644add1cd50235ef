"""Signals for apps built on evaluations (e.g. the project lifecycle moving a project past
its mid-term or final evaluation stage), sent after the transaction commits.

    from projects.evaluation.signals import evaluation_published

    def on_published(sender, evaluation, by, **kwargs): ...
    evaluation_published.connect(on_published)

``sender`` is ``Evaluation``; ``evaluation`` the saved instance; ``by`` the staff user.
"""

from django.dispatch import Signal

evaluation_finalised = Signal()
evaluation_published = Signal()
