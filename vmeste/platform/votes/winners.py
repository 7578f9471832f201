"""Who wins a vote, as pure functions of its counts (and, for the method of equal
shares, of its ballots).

- :func:`top`: the ``k`` options with the most votes (``SINGLE``, ``APPROVAL``) or
  points (``CUMULATIVE``).
- :func:`greedy`: a budget vote's projects by votes, most first, each bought if it
  still fits the budget and skipped otherwise (CONSUL's rule).
- :func:`equal_shares`: the method of equal shares with cost utilities (Peters and
  Skowron), completed by :func:`greedy` with what it leaves of the budget.

Every rule breaks ties the same way, so a result never depends on the order rows come
from the database: by the option's ``position`` on the ballot, then by its id (the
earlier option wins). An option nobody chose never wins, even with budget or places
left: a vote elects what its voters asked for. Arithmetic is exact (``Fraction``), so
an independent implementation given the same ballots finds the same winners.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Candidate:
    """An option and what it is ranked by: votes, or points for cumulative votes."""

    id: int
    position: int
    score: int


@dataclass(frozen=True)
class Project:
    """A budget vote's option: its cost and how many ballots chose it."""

    id: int
    position: int
    cost: int
    votes: int


def _order(position: int, id: int) -> tuple[int, int]:
    return (position, id)


def top(counts: Iterable[Candidate], k: int) -> list[int]:
    """The ids of the ``k`` best-scored options (fewer when fewer were chosen at all),
    best first."""
    chosen = [c for c in counts if c.score > 0]
    chosen.sort(key=lambda c: (-c.score, *_order(c.position, c.id)))
    return [c.id for c in chosen[:max(k, 0)]]


def greedy(projects: Iterable[Project], budget: int) -> list[int]:
    """Projects by votes (most first), each bought if it fits what is left of
    ``budget``; one that does not fit is skipped and the next is tried."""
    left = budget
    bought: list[int] = []
    for project in sorted((p for p in projects if p.votes > 0),
                          key=lambda p: (-p.votes, *_order(p.position, p.id))):
        if project.cost <= left:
            bought.append(project.id)
            left -= project.cost
    return bought


def _max_payment(budgets: Sequence[Fraction], cost: int) -> Fraction | None:
    """The least ``q`` such that supporters paying ``min(budget, q)`` each cover
    ``cost``; None when all they hold together does not."""
    if sum(budgets, Fraction(0)) < cost:
        return None
    paid, left = Fraction(0), len(budgets)
    for held in sorted(budgets):
        share = (cost - paid) / left
        if held >= share:
            return share
        paid += held
        left -= 1
    return Fraction(0)  # cost 0 with no budget left: nobody pays anything


def equal_shares(projects: Sequence[Project], approvals: Sequence[frozenset[int]],
                 budget: int) -> list[int]:
    """The method of equal shares with cost utilities, then :func:`greedy` on the rest.

    Each of the ``n`` ballots gets ``budget / n`` to spend. A project is affordable
    when its supporters can pay its cost together; each supporter then pays
    ``min(what they hold, q)`` for the least such ``q``. With cost utilities a
    project's utility to a supporter is its cost, so the payment per unit of utility
    is ``ρ = q / cost``; the affordable project of least ``ρ`` is bought, its
    supporters pay, and the step repeats until nothing is affordable. The budget the
    chosen projects leave is then filled by votes (:func:`greedy`). ``approvals`` are
    the ballots' sets of project ids; the votes the completion ranks by are counted
    from them, so the two steps see the same ballots.
    """
    supporters: dict[int, list[int]] = {p.id: [] for p in projects}
    for voter, approved in enumerate(approvals):
        for project_id in approved:
            if project_id in supporters:
                supporters[project_id].append(voter)
    counted = [Project(p.id, p.position, p.cost, len(supporters[p.id])) for p in projects]
    if not approvals:
        return []
    held = [Fraction(budget, len(approvals))] * len(approvals)
    remaining = sorted((p for p in counted if p.votes > 0),
                       key=lambda p: _order(p.position, p.id))
    bought: list[Project] = []
    while True:
        best: tuple[Fraction, Project, Fraction] | None = None
        for project in list(remaining):
            payment = _max_payment([held[i] for i in supporters[project.id]], project.cost)
            if payment is None:  # budgets only shrink: it never becomes affordable
                remaining.remove(project)
                continue
            rho = payment / project.cost if project.cost else Fraction(0)
            if best is None or rho < best[0]:
                best = (rho, project, payment)
        if best is None:
            break
        _, project, payment = best
        for voter in supporters[project.id]:
            held[voter] -= min(held[voter], payment)
        bought.append(project)
        remaining.remove(project)
    left = budget - sum(p.cost for p in bought)
    chosen = {p.id for p in bought}
    return [p.id for p in bought] + greedy((p for p in counted if p.id not in chosen), left)

