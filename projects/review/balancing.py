"""Balanced reviewer assignment (pure functions, no database).

:func:`plan_assignments` decides which reviewers to add to each application so that

1. every application gets as many reviewers as it needs, or all its eligible reviewers when
   there are fewer (adding a reviewer never takes one from another application: reviewers
   have no capacity limit, so the number placed is always the largest possible); and
2. the reviewers' loads in the call (assignments they already hold plus the new ones) are
   as even as the exclusions allow: the plan minimises Σ load², which for this kind of
   problem also minimises the highest load and raises the lowest one.

How: a greedy pass gives each application the least-loaded eligible reviewers (ties: fewer
assignments in other calls, then id), then a **repair** loop looks for a chain of moves
from a most-loaded reviewer to a reviewer with at least two fewer assignments —
"application X moves from A to B, application Y from B to C" — and applies it. A move
only ever hands an application to an eligible reviewer who does not have it yet, and only
new assignments move (existing ones are never touched). Each chain lowers Σ load² by at
least 2, so the loop ends; when no chain exists the plan is optimal (no negative cycle in
the residual network of this convex-cost flow problem). Tested against exhaustive search
on small random instances (tests/review/test_balancing.py).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping


def plan_assignments(
    *,
    needs: Mapping[int, int],
    pool: Iterable[int],
    eligible: Callable[[int, int], bool],
    load: Mapping[int, int] | None = None,
    overall: Mapping[int, int] | None = None,
) -> dict[int, list[int]]:
    """``{application: [new reviewer, …]}``.

    ``needs``: how many more reviewers each application needs (applications in the order
    to fill them); ``pool``: reviewer ids; ``eligible(application, reviewer)``: whether
    the reviewer may be added (not excluded, not already on it); ``load``: the reviewers'
    current active assignments in the call; ``overall``: their assignments elsewhere
    (first tie-break).
    """
    pool = sorted(set(pool))
    load = Counter({r: (load or {}).get(r, 0) for r in pool})
    overall = overall or {}
    options = {app: [r for r in pool if eligible(app, r)] for app in needs}
    plan: dict[int, list[int]] = {}
    for app, missing in needs.items():
        if missing <= 0:
            continue
        chosen = sorted(options[app], key=lambda r: (load[r], overall.get(r, 0), r))[:missing]
        plan[app] = chosen
        for reviewer in chosen:
            load[reviewer] += 1
    _repair(plan, options, load)
    return {app: sorted(reviewers) for app, reviewers in plan.items() if reviewers}


def _repair(plan: dict[int, list[int]], options: dict[int, list[int]], load: Counter) -> None:
    while True:
        for source in sorted(load, key=lambda r: (-load[r], r)):
            path = _chain_from(source, plan, options, load)
            if path:
                for app, giver, taker in path:
                    plan[app].remove(giver)
                    plan[app].append(taker)
                load[source] -= 1
                load[path[-1][2]] += 1
                break
        else:
            return


def _chain_from(source, plan, options, load) -> list[tuple[int, int, int]]:
    """A shortest chain of moves from ``source`` to a reviewer with load ≤ source's − 2."""
    holding: dict[int, list[int]] = {}
    for app, reviewers in plan.items():
        for reviewer in reviewers:
            holding.setdefault(reviewer, []).append(app)
    limit = load[source] - 2
    came_from: dict[int, tuple[int, int] | None] = {source: None}
    queue = deque([source])
    while queue:
        giver = queue.popleft()
        for app in sorted(holding.get(giver, ())):
            on_app = plan[app]
            for taker in options[app]:
                if taker in came_from or taker in on_app:
                    continue
                came_from[taker] = (giver, app)
                if load[taker] <= limit:
                    return _unwind(came_from, taker)
                queue.append(taker)
    return []


def _unwind(came_from, taker) -> list[tuple[int, int, int]]:
    moves = []
    while came_from[taker] is not None:
        giver, app = came_from[taker]
        moves.append((app, giver, taker))
        taker = giver
    moves.reverse()
    return moves
