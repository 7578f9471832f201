"""The winner rules on examples computed by hand, ties included."""

from __future__ import annotations

from vmeste.platform.votes.winners import Candidate, Project, equal_shares, greedy, top


def test_top_takes_the_most_voted_and_breaks_ties_by_position_then_id() -> None:
    counts = [Candidate(id=10, position=0, score=5), Candidate(id=11, position=1, score=7),
              Candidate(id=12, position=2, score=7), Candidate(id=13, position=3, score=0)]
    assert top(counts, 1) == [11]  # 11 and 12 tie on 7: the earlier on the ballot wins
    assert top(counts, 2) == [11, 12]
    assert top(counts, 3) == [11, 12, 10]
    # An option nobody chose never wins, even with places left.
    assert top(counts, 10) == [11, 12, 10]
    assert top(counts, 0) == []
    # Same position (options of one vote never share one, but the rule must not guess):
    # the smaller id.
    assert top([Candidate(21, 0, 4), Candidate(20, 0, 4)], 1) == [20]
    # The order counts come in does not matter.
    assert top(list(reversed(counts)), 2) == [11, 12]


def test_greedy_buys_by_votes_and_skips_what_does_not_fit() -> None:
    projects = [Project(id=1, position=0, cost=60, votes=10),
                Project(id=2, position=1, cost=50, votes=8),
                Project(id=3, position=2, cost=40, votes=6),
                Project(id=4, position=3, cost=10, votes=2)]
    # 1 (60, 40 left); 2 does not fit; 3 (40, 0 left); 4 does not fit.
    assert greedy(projects, 100) == [1, 3]
    # With 110: 1 (50 left), 2 (exactly fits: 0 left), then nothing fits.
    assert greedy(projects, 110) == [1, 2]
    assert greedy(projects, 30) == [4]
    assert greedy(projects, 0) == []


def test_greedy_ties_and_unvoted_projects() -> None:
    tied = [Project(7, 1, 50, 5), Project(6, 0, 50, 5), Project(8, 2, 10, 0)]
    # Equal votes: position decides; the unvoted project stays out though it would fit.
    assert greedy(tied, 60) == [6]
    assert greedy(tied, 100) == [6, 7]


def _majority_and_minority() -> tuple[list[Project], list[frozenset[int]]]:
    """Ten voters, 100 to spend: seven approve A1, A2, A3 (40 each), three approve B (30)."""
    projects = [Project(1, 0, 40, 7), Project(2, 1, 40, 7), Project(3, 2, 40, 7),
                Project(4, 3, 30, 3)]
    ballots = [frozenset({1, 2, 3})] * 7 + [frozenset({4})] * 3
    return projects, ballots


def test_equal_shares_gives_the_minority_its_share() -> None:
    projects, ballots = _majority_and_minority()
    # Greedy spends everything on the majority: A1, A2 (80), and nothing else fits.
    assert greedy(projects, 100) == [1, 2]
    # Equal shares: 10 each. A1..A3 cost each majority voter 40/7 (rho = 1/7), B costs
    # each minority voter 10 (rho = 10/30 = 1/3): A1 first (ties by position). The
    # majority keep 30/7 each, 30 together: no other A is affordable; B still is, and
    # is bought. 30 are left, and no A fits in the completion.
    assert equal_shares(projects, ballots, 100) == [1, 4]


def test_equal_shares_ranks_by_payment_per_unit_of_cost() -> None:
    """Cost utilities: a project's utility to a supporter is its cost, so projects are
    compared by rho = (the largest payment a supporter makes) / cost, not by the payment."""
    big, small = Project(1, 0, 100, 4), Project(2, 1, 20, 1)
    ballots = [frozenset({1, 2}), frozenset({1}), frozenset({1}), frozenset({1})]
    # 119 / 4 = 29.75 each. big: 25 each, rho = 25/100 = 1/4; small: 20 from one voter,
    # rho = 20/20 = 1. big first; its voter then has 4.75 < 20 and 19 are left, < 20.
    # (By the payment alone, small (20 < 25) would come first and big never.)
    assert equal_shares([big, small], ballots, 119) == [1]
    # With 120: the same start, and 20 left are enough for small in the completion.
    assert equal_shares([big, small], ballots, 120) == [1, 2]


def test_equal_shares_completion_is_greedy_by_votes() -> None:
    # Four voters, 100: X (60) by three, Y (40) by one, Z (30) by all.
    x, y, z = Project(1, 0, 60, 3), Project(2, 1, 40, 1), Project(3, 2, 30, 4)
    ballots = [frozenset({1, 3})] * 3 + [frozenset({2, 3})]
    # 25 each. X: 20 each of three, rho 1/3; Y: 25 < 40, not affordable; Z: 7.5 each,
    # rho 1/4: Z. Then 17.5 each: X needs 60 > 52.5, Y 40 > 17.5: done. 70 left: X (3
    # votes) fits, 10 left, Y does not.
    assert equal_shares([x, y, z], ballots, 100) == [3, 1]


def test_equal_shares_ties_votes_and_edges() -> None:
    twins = [Project(5, 1, 50, 2), Project(4, 0, 50, 2)]
    both = [frozenset({4, 5})] * 2
    # 50 each. Same rho (25/50) for both: the earlier position first; each voter keeps
    # 25, together enough for the other twin.
    assert equal_shares(twins, both, 100) == [4, 5]
    # 30 each: after the first twin 5 each, and the 10 left do not buy the second.
    assert equal_shares(twins, both, 60) == [4]
    # No ballots: nothing; a project nobody approved never wins.
    assert equal_shares(twins, [], 100) == []
    lonely = [Project(1, 0, 10, 0), Project(2, 1, 10, 1)]
    assert equal_shares(lonely, [frozenset({2})], 100) == [2]
    # Approvals of an id that is not a project of the vote are ignored.
    assert equal_shares(lonely, [frozenset({2, 99})], 100) == [2]
    # A free project is bought at once (rho 0) by its supporters.
    free = [Project(1, 0, 0, 1), Project(2, 1, 90, 1)]
    assert equal_shares(free, [frozenset({1}), frozenset({2})], 100) == [1, 2]
