"""The name draws: British surnames follow the published rank-frequency curve, given names are not
repeated within a family."""

from __future__ import annotations

import numpy as np
import pytest

from daeval.synth.names import (
    ORIGINS,
    SURNAME_FREQUENCY,
    SURNAMES,
    draw_surnames,
    name_book,
    surname_weights,
)
from daeval.synth.population import FEMALE, MALE, _unique_in_family


def test_surname_weights_pass_through_the_published_points() -> None:
    book = name_book()
    assert len(book.surnames["british"]) > SURNAME_FREQUENCY[-1][0]
    weights = surname_weights(len(book.surnames["british"]))
    assert weights.sum() == pytest.approx(1.0)
    assert np.all(np.diff(weights) <= 0)
    top_rank, top = SURNAME_FREQUENCY[0]
    for rank, per_million in SURNAME_FREQUENCY:
        assert weights[rank - 1] / weights[top_rank - 1] == pytest.approx(per_million / top)
    # Smith's share after normalising stays near the published 1.33%.
    assert 0.0120 < weights[0] < 0.0145
    # Random isonymy (two people drawn at random share a surname) of the order found in Britain.
    assert 0.0005 < float((weights**2).sum()) < 0.002


def test_british_surnames_are_the_listed_ones_then_a_tail_of_distinct_names() -> None:
    book = name_book()
    vocabulary = book.vocabulary.to_pylist()
    names = [vocabulary[i] for i in book.surnames["british"]]
    listed = SURNAMES["british"].split()
    assert names[: len(listed)] == listed
    assert len(names) == len(set(names)) > 10_000
    assert all(n.isalpha() and n[0].isupper() and n[1:].islower() for n in names[len(listed) :])
    others = {w for o in ORIGINS if o != "british" for w in SURNAMES[o].split()}
    assert not others & set(names[len(listed) :])


def test_drawn_surnames_follow_the_weights() -> None:
    book = name_book()
    n = 400_000
    drawn = draw_surnames(np.random.default_rng(7), "british", n)
    weights = surname_weights(len(book.surnames["british"]))
    for rank in (1, 2, 10, 49):
        share = float(np.mean(drawn == book.surnames["british"][rank - 1]))
        sd = (weights[rank - 1] * (1 - weights[rank - 1]) / n) ** 0.5
        assert abs(share - weights[rank - 1]) < 4 * sd
    # Names beyond the listed hundred carry about three quarters of the population.
    beyond = float(np.mean(~np.isin(drawn, book.surnames["british"][:100])))
    assert beyond == pytest.approx(1 - weights[:100].sum(), abs=0.005)


def test_a_given_name_is_not_repeated_within_a_family_for_the_same_sex() -> None:
    rng = np.random.default_rng(3)
    n, slots = 20_000, 6
    sex = rng.choice([MALE, FEMALE], size=(n, slots))
    origin = np.repeat(rng.integers(0, len(ORIGINS), n)[:, None], slots, axis=1)
    book = name_book()
    first = np.zeros((n, slots), np.int32)
    for o, origin_name in enumerate(ORIGINS):
        for s, letter in ((MALE, "M"), (FEMALE, "F")):
            pick = (origin == o) & (sex == s)
            pool = book.first[(letter, origin_name)]
            # Start from the worst case: everyone of a sex and origin with the list's first name.
            first[pick] = pool[0]
    _unique_in_family(rng, first, sex, origin)
    clashes = sum(
        int(
            ((first[:, :j] == first[:, j : j + 1]) & (sex[:, :j] == sex[:, j : j + 1])).any(1).sum()
        )
        for j in range(1, slots)
    )
    assert clashes < n * slots * 0.001
    for o, origin_name in enumerate(ORIGINS):
        for s, letter in ((MALE, "M"), (FEMALE, "F")):
            pick = (origin == o) & (sex == s)
            assert np.isin(first[pick], book.first[(letter, origin_name)]).all()
