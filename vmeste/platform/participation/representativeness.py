"""How well the participants stand for the population, and results weighted to it.

Both work on age band × gender cells (:func:`demographics.cell`): the tallies keep
every count in the ``cell`` dimension too, and the population is imported per cell
(:mod:`vmeste.platform.participation.population`).

- The **R-score** (Go Vocal's representativeness score) is the lowest participation
  rate over the highest, across the cells with people in them: 1 when every cell took
  part at the same rate, 0 when some cell did not take part at all. It is computed
  from how many of each cell took part, never from what they answered, so it reveals
  participation only (as the published breakdowns by age band and gender do).
- **Post-stratified weights** make each cell count by its share of the population
  instead of its share of the participants: ``w = population share / sample share``.
  Only cells with people in them are weighted; participants without a known band or
  gender (and cells the population lacks) weigh nothing, and shares are taken over
  the weighted participants.

A weight is an answer's magnifier: one person alone in a cell of many people would
weigh ~90, and the weighted share less the raw one would show what they answered. So
cells that fewer than the smallest published group took part in are pooled into one
(their people and participants summed) before weighting; a pool still too small joins
the smallest cell that is large enough. With fewer than two cells large enough there
is nothing to weight between, and nothing is weighted. Weights are then trimmed at
:data:`MAX_WEIGHT` (the mean weight being 1): a trimmed cell is held at the cap and the
others are scaled up until the participants' weights again sum to their number.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The largest weight a participant gets, the mean weight being 1.
MAX_WEIGHT = 5.0


def r_score(population: Mapping[str, int], participants: Mapping[str, int]) -> float | None:
    """Lowest rate over highest; None without population or participants to compare."""
    rates = [participants.get(cell, 0) / people for cell, people in population.items()
             if people > 0]
    if not rates or max(rates) == 0:
        return None
    return min(rates) / max(rates)


def weights(population: Mapping[str, int], participants: Mapping[str, int],
            min_group_size: int) -> dict[str, float] | None:
    """Each weighted cell's weight (cells missing here weigh nothing); None when fewer
    than two cells hold ``min_group_size`` participants."""
    strata = _strata(population, participants, min_group_size)
    if strata is None:
        return None
    people_total = sum(people for _cells, people, _n in strata)
    sample_total = sum(n for _cells, _people, n in strata)
    trimmed = _trimmed([((people / people_total) / (n / sample_total), n)
                        for _cells, people, n in strata])
    return {cell: weight for (cells, _p, _n), weight in zip(strata, trimmed, strict=True)
            for cell in cells}


def _strata(population: Mapping[str, int], participants: Mapping[str, int],
            min_group_size: int) -> list[tuple[list[str], int, int]] | None:
    """The weighting strata as (cells, people, participants): each cell large enough on
    its own, the small ones pooled; None with fewer than two large enough."""
    large: list[tuple[list[str], int, int]] = []
    pool: tuple[list[str], int, int] = ([], 0, 0)
    for cell, people in sorted(population.items()):
        if people <= 0:
            continue
        n = participants.get(cell, 0)
        if n >= min_group_size:
            large.append(([cell], people, n))
        else:
            pool = ([*pool[0], cell], pool[1] + people, pool[2] + n)
    if len(large) < 2:
        return None
    if pool[2] >= min_group_size:
        large.append(pool)
    elif pool[2] > 0:
        # Too few to stand alone: they join the smallest cell that does.
        smallest = min(range(len(large)), key=lambda i: (large[i][2], i))
        cells, people, n = large[smallest]
        large[smallest] = ([*cells, *pool[0]], people + pool[1], n + pool[2])
    return large


def _trimmed(strata: list[tuple[float, int]]) -> list[float]:
    """The (weight, participants) strata's weights capped at :data:`MAX_WEIGHT`, the
    uncapped ones scaled so the weights still sum to the participants' number; a scaled
    weight may reach the cap in turn, so it repeats until none is over it."""
    weights = [w for w, _n in strata]
    total = sum(n for _w, n in strata)
    capped: set[int] = set()
    while over := {i for i, w in enumerate(weights) if w > MAX_WEIGHT and i not in capped}:
        capped |= over
        free = [i for i in range(len(strata)) if i not in capped]
        rest = total - MAX_WEIGHT * sum(strata[i][1] for i in capped)
        scale = rest / sum(weights[i] * strata[i][1] for i in free)
        weights = [MAX_WEIGHT if i in capped else w * scale for i, w in enumerate(weights)]
    return weights


def weighted_share(cell_weights: Mapping[str, float] | None, chosen: Mapping[str, int],
                   answered: Mapping[str, int]) -> float | None:
    """The weighted share of those who answered a question that chose an answer, from
    both counted per cell; None when nobody who answered can be weighted."""
    if cell_weights is None:
        return None
    base = sum(w * answered.get(cell, 0) for cell, w in cell_weights.items())
    if base == 0:
        return None
    return sum(w * chosen.get(cell, 0) for cell, w in cell_weights.items()) / base
