"""The toy language models: tempering and top-p exact, perplexity of known models, the loop, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import mad
from mad import language as L
from mad.data import Resampled
from mad.models import make_model


@pytest.fixture(scope="module")
def corpus() -> L.Corpus:
    return L.load_corpus("pydoc-words", length=12, vocab_size=300)


# --------------------------------------------------------------------------- tempering and top-p


def test_temper_is_the_power_law_exactly():
    p = np.array([0.5, 0.3, 0.15, 0.05])
    for tau in (0.25, 0.5, 0.8, 1.0, 2.0, 7.0):
        expected = p ** (1 / tau) / (p ** (1 / tau)).sum()
        np.testing.assert_allclose(L.temper(p, tau), expected, rtol=1e-12)
    np.testing.assert_allclose(L.temper(p, 1.0), p, rtol=1e-15)
    assert L.temper(p, 1e-3)[0] == pytest.approx(1.0)  # τ → 0: the arg-max
    np.testing.assert_allclose(L.temper(p, 1e6), 0.25, atol=1e-5)  # τ → ∞: uniform
    np.testing.assert_array_equal(L.temper(np.array([0.0, 0.4, 0.6]), 0.5)[0], 0.0)  # zeros stay zero
    # rows of a table are tempered separately
    table = np.array([p, p[::-1]])
    np.testing.assert_allclose(L.temper(table, 0.5)[1], L.temper(p, 0.5)[::-1], rtol=1e-12)


def test_tempering_law_composes():
    p = L.zipf(20, 1.1)
    twice = L.temper(L.temper(p, 0.8), 0.8)
    np.testing.assert_allclose(L.tempering_law(p, 0.8, 2), twice, rtol=1e-12)
    np.testing.assert_allclose(L.tempering_law(p, 0.8, 0), p, rtol=1e-12)
    np.testing.assert_allclose(L.tempering_law(p, 0.9, 5), p ** (0.9**-5) / (p ** (0.9**-5)).sum(), rtol=1e-10)


def test_top_p_keeps_the_smallest_nucleus_exactly():
    p = np.array([0.1, 0.5, 0.15, 0.25])
    np.testing.assert_allclose(L.top_p_filter(p, 0.7), [0, 2 / 3, 0, 1 / 3])
    np.testing.assert_allclose(L.top_p_filter(p, 0.75), [0, 2 / 3, 0, 1 / 3])  # 0.5 + 0.25 reaches 0.75 exactly
    np.testing.assert_allclose(L.top_p_filter(p, 0.76), [0, 0.5 / 0.9, 0.15 / 0.9, 0.25 / 0.9])
    np.testing.assert_allclose(L.top_p_filter(p, 0.3), [0, 1, 0, 0])
    np.testing.assert_allclose(L.top_p_filter(p, 1.0), p)
    # ties with the last kept token are kept: the nucleus does not depend on token order
    np.testing.assert_allclose(L.top_p_filter(np.full(4, 0.25), 0.3), np.full(4, 0.25))
    np.testing.assert_allclose(L.top_p_filter(np.array([0.4, 0.2, 0.2, 0.2]), 0.5), [0.4, 0.2, 0.2, 0.2])
    # temperature first, then the nucleus
    np.testing.assert_allclose(L.sampling_distribution(p, 0.5, 0.9), L.top_p_filter(L.temper(p, 0.5), 0.9))


def test_samples_follow_the_tempered_nucleus():
    X = np.repeat(np.array([[0, 0, 0, 0, 0, 1, 1, 1, 2, 2]]), 5, axis=0)
    model = L.NGramModel(vocab_size=4, order=1, k=0.5, top_p=0.9).fit(X)
    target = L.sampling_distribution(model.next_token_distribution(), 0.7, 0.9)
    S = model.sample_tempered(20_000, temperature=0.7, random_state=0)
    freq = np.bincount(S.ravel(), minlength=4) / S.size
    se = np.sqrt(target * (1 - target) / S.size)
    assert np.all(np.abs(freq - target) < 5 * se + 1e-12)
    assert target[3] == 0 and freq[3] == 0  # outside the nucleus: never drawn


def test_lam_is_the_temperature(corpus):
    model = L.NGramModel(vocab_size=corpus.vocab_size, order=2, k=1e-3).fit(corpus.train)
    a = model.sample(50, lam=0.8, random_state=3)
    b = model.sample_tempered(50, temperature=0.8, random_state=3)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == float  # rows travel through the loop runner as floats holding integers


# --------------------------------------------------------------------------- the n-gram model


def test_perplexity_of_a_known_unigram():
    model = L.NGramModel(vocab_size=2, order=1, k=1.0).fit([[0, 0, 1, 1]])
    np.testing.assert_allclose(model.next_token_distribution(), [0.5, 0.5])
    assert model.perplexity(np.array([[0, 1, 1, 0, 1]])) == pytest.approx(2.0)


def test_log_prob_of_a_known_bigram():
    # counts: BOS→0 once; 0→1 twice; 1→0 once; add-1 smoothing over V = 2
    model = L.NGramModel(vocab_size=2, order=2, k=1.0).fit([[0, 1, 0, 1]])
    np.testing.assert_allclose(model.next_token_distribution([]), [2 / 3, 1 / 3])
    np.testing.assert_allclose(model.next_token_distribution([0]), [1 / 4, 3 / 4])
    np.testing.assert_allclose(model.next_token_distribution([1]), [2 / 3, 1 / 3])
    expected = 2 * math.log(2 / 3) + 2 * math.log(3 / 4)
    assert model.log_prob(np.array([[0, 1, 0, 1]]))[0] == pytest.approx(expected)
    assert model.nll(np.array([[0, 1, 0, 1]])) == pytest.approx(-expected / 4)
    assert model.perplexity(np.array([[0, 1, 0, 1]])) == pytest.approx(math.exp(-expected / 4))
    # an unseen context gives the uniform distribution
    tri = L.NGramModel(vocab_size=2, order=3, k=1.0).fit([[0, 0, 0, 0]])
    np.testing.assert_allclose(tri.next_token_distribution([1, 1]), [0.5, 0.5])


def test_every_next_token_distribution_sums_to_one(corpus):
    model = L.NGramModel(vocab_size=corpus.vocab_size, order=3, k=0.01).fit(corpus.train)
    np.testing.assert_allclose(model.probs_.sum(axis=1), 1.0)
    assert model.probs_.shape == (model.contexts_.size + 1, corpus.vocab_size)
    assert np.isfinite(model.perplexity(corpus.test))


def test_zipf_source_is_known_truth():
    src = L.ZipfSource(vocab_size=30, exponent=1.2, length=8, order=2, random_state=1)
    np.testing.assert_allclose(src.transition_.sum(axis=1), 1.0)
    # every conditional is the same Zipf law over its own permutation
    np.testing.assert_allclose(np.sort(src.transition_, axis=1), np.tile(np.sort(src.law_), (30, 1)))
    X = src.sample(20_000, random_state=0)
    model = L.NGramModel(vocab_size=30, order=2, k=1e-3).fit(X)
    # the fitted bigram's test NLL approaches the source's entropy rate
    test = src.sample(2000, random_state=1)
    truth = -src.log_prob(test).mean() / 8
    assert model.nll(test) == pytest.approx(truth, rel=0.02)
    uni = L.ZipfSource(vocab_size=10, exponent=1.0, order=1)
    freq = np.bincount(uni.sample(20_000, random_state=2).astype(int).ravel(), minlength=10) / (20_000 * 16)
    np.testing.assert_allclose(freq, L.zipf(10, 1.0), atol=0.003)


def test_per_step_tempering_is_not_sequence_tempering_in_general():
    src = L.ZipfSource(vocab_size=4, exponent=1.0, length=3, order=2, random_state=0)
    per_step = L.sequence_probabilities(src.initial_, src.transition_, 3, 0.6, per_step=True)
    whole = L.sequence_probabilities(src.initial_, src.transition_, 3, 0.6, per_step=False)
    assert per_step.sum() == pytest.approx(1.0) and whole.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(per_step, whole, atol=1e-14)  # permuted conditionals: equal normalisers
    gen = np.random.default_rng(0)
    init, trans = gen.dirichlet(np.ones(4)), gen.dirichlet(np.ones(4), size=4)
    a = L.sequence_probabilities(init, trans, 3, 0.6, per_step=True)
    b = L.sequence_probabilities(init, trans, 3, 0.6, per_step=False)
    assert 0.5 * np.abs(a - b).sum() > 1e-3
    np.testing.assert_allclose(
        L.sequence_probabilities(init, trans, 3, 1.0, per_step=True), L.sequence_probabilities(init, trans, 3, 1.0, per_step=False)
    )
    # the first sequence (0, 0, 0) under the per-step chain
    pt, Tt = L.temper(init, 0.6), L.temper(trans, 0.6)
    assert a[0] == pytest.approx(pt[0] * Tt[0, 0] ** 2)


# --------------------------------------------------------------------------- corpora and metrics


def test_pydoc_corpus(corpus):
    assert corpus.vocab_size == 300 and corpus.vocab[-1] == L.UNK
    assert corpus.train.shape[1] == 12 and corpus.test.shape[1] == 12
    assert corpus.train.min() >= 0 and corpus.train.max() < 300
    assert len(corpus.train) > 9 * len(corpus.test) - 9
    assert "the" in corpus.vocab[:3] and np.all(np.diff(corpus.counts[:-1]) <= 0)  # ids ranked by frequency, <unk> last
    assert corpus.counts.sum() == corpus.train.size
    assert "pydoc_data.topics" in corpus.description
    text = corpus.decode(corpus.train[0])
    assert isinstance(text, str) and len(text.split()) >= 6
    chars = L.load_corpus("pydoc-chars", length=40, vocab_size=None)
    assert chars.level == "char" and L.UNK not in chars.vocab and len(chars.decode(chars.test[0])) == 40
    assert chars.pool().X.shape == (len(chars.train), 40)


def test_tail_metrics():
    counts = np.array([50, 30, 10, 5, 3, 2])
    np.testing.assert_array_equal(L.tail_tokens(counts, 0.8), [2, 3, 4, 5])
    np.testing.assert_array_equal(L.tail_tokens(counts, 0.9), [3, 4, 5])
    X = np.array([[0, 1, 2], [2, 5, 5]])
    assert L.distinct_tokens(X) == 4
    assert L.tail_share(X, [2, 3, 4, 5]) == pytest.approx(4 / 6)
    assert L.entropy(np.array([0.5, 0.5, 0.0])) == pytest.approx(math.log(2))


# --------------------------------------------------------------------------- determinism and the loop


def test_same_seed_same_bits(corpus):
    model = L.NGramModel(vocab_size=corpus.vocab_size, order=2, k=1e-3, top_p=0.9).fit(corpus.train)
    np.testing.assert_array_equal(model.sample(40, lam=0.8, random_state=7), model.sample(40, lam=0.8, random_state=7))
    assert not np.array_equal(model.sample(40, random_state=7), model.sample(40, random_state=8))
    again = clone(model).fit(corpus.train)
    np.testing.assert_array_equal(again.probs_, model.probs_)


def test_runs_in_the_loop_runner(corpus):
    source = Resampled(corpus.pool())
    proto = make_model("ngram", vocab_size=corpus.vocab_size, order=2, k=1e-3)
    metrics = {"nll": lambda g: g.model.nll(corpus.test), "distinct": lambda g: L.distinct_tokens(g.eval_samples(100)[0])}
    a = mad.run_loop(mad.fully_synthetic(300), proto, source, 3, metrics, seed=5)
    b = mad.run_loop(mad.fully_synthetic(300), proto, source, 3, metrics, seed=5)
    assert a.equals(b)
    gens = list(mad.iterate_loop(mad.fresh_data(30, 270, n_init=300), proto, source, 3, seed=5))
    assert [g.n_real for g in gens] == [300, 30, 30] and [g.n_synth for g in gens] == [0, 270, 270]
    assert gens[1].train.X.shape == (300, 12)
    assert set(np.unique(gens[2].train.origin)) == {0, 2}  # real rows and G_2's samples


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: L.load_corpus("wikitext2"), ValueError, "corpus must be one of"),
        (lambda: L.corpus_from_text(""), ValueError, "at least 2 distinct tokens; got 0"),
        (lambda: L.corpus_from_text("word"), ValueError, "at least 2 distinct tokens; got 1"),
        (lambda: L.corpus_from_text("a a a a a a a a a"), ValueError, "at least 2 distinct tokens"),
        (lambda: L.corpus_from_text("a b c d", length=2), ValueError, "too few for windows of length 2"),
        (lambda: L.corpus_from_text("a b " * 400, level="sentence"), ValueError, "level must be one of"),
        (lambda: L.temper([0.5, 0.5], 0.0), ValueError, r"temperature \(τ\) must be a finite number in \(0, inf\); got 0.0"),
        (lambda: L.temper([0.5, 0.5], -1), ValueError, "temperature"),
        (lambda: L.temper([0.5, 0.5], float("nan")), ValueError, "temperature"),
        (lambda: L.temper([0.5, 0.5], float("inf")), ValueError, "temperature"),
        (lambda: L.temper([0.5, 0.5], "hot"), TypeError, "temperature must be a number"),
        (lambda: L.top_p_filter([0.5, 0.5], 0.0), ValueError, r"top_p \(nucleus mass\) must be in \(0, 1\]; got 0.0"),
        (lambda: L.top_p_filter([0.5, 0.5], 1.5), ValueError, "top_p"),
        (lambda: L.top_p_filter([0.5, 0.5], float("nan")), ValueError, "top_p"),
        (lambda: L.NGramModel(vocab_size=3, order=0).fit([[0, 1, 2]]), ValueError, r"order \(n of the n-gram\) must be >= 1; got 0"),
        (lambda: L.NGramModel(vocab_size=3, k=0).fit([[0, 1, 2]]), ValueError, r"k \(add-k smoothing\) must be a finite number > 0"),
        (lambda: L.NGramModel(vocab_size=3, top_p=2).fit([[0, 1, 2]]), ValueError, "top_p"),
        (lambda: L.NGramModel(vocab_size=1).fit([[0, 0]]), ValueError, "vocab_size must be >= 2"),
        (lambda: L.NGramModel(vocab_size=3).fit([[0, 1, 3]]), ValueError, r"token ids must be in \[0, 3\)"),
        (lambda: L.NGramModel(vocab_size=3).fit([[0, 1.5, 2]]), ValueError, "integer token ids"),
        (lambda: L.NGramModel(vocab_size=3).fit([0, 1, 2]), ValueError, "must be 2-D"),
        (lambda: L.NGramModel(vocab_size=3).sample(2), NotFittedError, "not fitted"),
        (lambda: L.NGramModel(vocab_size=3).fit([[0, 1, 2]]).sample(2, lam=1.5), ValueError, "lam"),
        (lambda: L.NGramModel(vocab_size=3).fit([[0, 1, 2]]).sample_tempered(2, temperature=0), ValueError, "temperature"),
        (lambda: L.NGramModel(vocab_size=3).fit([[0, 1, 2]]).sample_tempered(2, top_p=-0.1), ValueError, "top_p"),
        (lambda: L.ZipfSource(vocab_size=10, order=3), ValueError, "order must be >= 1 and <= 2"),
        (lambda: L.zipf(10, exponent=-1), ValueError, "exponent"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()
