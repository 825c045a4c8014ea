r"""Language models at toy scale: corpora, an n-gram model with add-k smoothing, temperature and top-p.

Shumailov et al. (Nature 2024) retrain a language model on its own text and watch the test perplexity
rise, the tails of the vocabulary vanish and the generated text become *more* probable under the first
model. This module gives the book the same experiment on a CPU in seconds, with the one loop runner
(:mod:`mad.loops`): the model is a :class:`mad.models.base.GenerativeModel` whose **rows are token
sequences**.

Rows
----
A row is a window of ``L`` consecutive token ids (integers in ``[0, V)``), so a data set is an
``(n, L)`` array. The loop runner stores real rows as floats; token ids are small integers, which
floats hold exactly, and :class:`NGramModel` casts them back (and refuses non-integral values). No
padding token is ever stored in a row: the model pads the *contexts* of the first ``order - 1``
positions on the left with a begin-of-window symbol, ``BOS = V``, which is never generated.

Corpora
-------
* ``"pydoc-words"`` / ``"pydoc-chars"``: the English reference text that ships with Python's standard
  library, :mod:`pydoc_data.topics` (the text of ``help("topics")``; about 465 kB in Python 3.11),
  lower-cased and cut into words and punctuation, or into characters with runs of white space folded
  to one space (:func:`load_corpus`). Windows are cut one after another from the concatenated text;
  every ``test_every``-th window is held out as test text.
* :class:`ZipfSource`: a known-truth source for exact checks: i.i.d. Zipf tokens (``order=1``) or a
  Zipf bigram chain whose every context draws the next token from the same Zipf law over its own
  permutation of the vocabulary (``order=2``).

The model
---------
:class:`NGramModel` of order ``m`` estimates every next-token distribution with add-k smoothing
(Lidstone's law; Jurafsky & Martin, *Speech and Language Processing*, ch. 3):

.. math:: \hat p(w \mid c) = \frac{N(c, w) + k}{N(c) + kV},

where ``c`` is the previous ``m - 1`` tokens (left-padded with ``BOS``), ``N(c, w)`` the count of ``w``
after ``c`` in the training rows and ``N(c) = Σ_w N(c, w)``. A context never seen gives the uniform
distribution. The log-probability of a row is ``Σ_i log p̂(x_i | c_i)``, and the perplexity of a test
set is ``exp`` of the mean negative log-likelihood per token (nats).

Temperature, top-p and the sampling bias λ
------------------------------------------
The model samples a row token by token (ancestral sampling). At **temperature** τ every next-token
distribution is tempered,

.. math:: p_\tau(w \mid c) = \frac{p(w \mid c)^{1/\tau}}{\sum_{v} p(v \mid c)^{1/\tau}},

and **top-p** (nucleus sampling, Holtzman et al., ICLR 2020) then keeps the smallest set of most
probable tokens whose mass reaches ``p`` (with every token tied with the last one kept) and
renormalises. In the loop the sampling bias is the temperature, **τ = λ** (λ = 1: unbiased ancestral
sampling; λ < 1 sharpens every next-token distribution), and ``top_p`` is a parameter of the model.

For one next-token distribution (or an i.i.d. unigram model) tempering is exactly
``p_τ ∝ p^{1/τ}``, and a loop that refits the maximum-likelihood unigram on infinitely many samples at
temperature τ compounds it: generation ``t`` is ``p_t ∝ p_1^{τ^{-(t-1)}}`` (:func:`tempering_law`).
For an n-gram *chain* the same holds for every conditional ``p(· | c)`` separately, but the sequence
distribution of the tempered chain is **not** the tempered sequence distribution: per-step tempering
gives ``Π_i p(x_i | c_i)^{1/τ} / Z_τ(c_i)`` with context-dependent normalisers
``Z_τ(c) = Σ_w p(w | c)^{1/τ}``, whereas ``p(x_{1:L})^{1/τ} / Z`` has one normaliser. The two agree
only when ``Z_τ(c)`` is the same for every context reached, as for a unigram model or a chain whose
conditionals are permutations of one another (such as :class:`ZipfSource` with ``order=2``);
:func:`sequence_probabilities` computes both exactly for small chains.
"""

from __future__ import annotations

import math
import numbers
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mad.data import FinitePool, Source
from mad.models.base import GenerativeModel
from mad.seeding import as_generator
from mad.validation import check_int

#: the corpora :func:`load_corpus` knows
CORPORA: tuple[str, ...] = ("pydoc-words", "pydoc-chars")
LEVELS: tuple[str, ...] = ("word", "char")
UNK = "<unk>"
#: largest number of contexts x vocabulary entries a model's dense probability table may hold
MAX_TABLE = 40_000_000

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|[0-9]+|[.,;:!?()]")
_SPACE = re.compile(r"\s+")


# --------------------------------------------------------------------------- validation


def check_temperature(temperature: object, name: str = "temperature") -> float:
    """A temperature τ must be a finite number > 0 (τ = 1: unbiased)."""
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        raise TypeError(f"{name} must be a number in (0, inf); got {temperature!r}")
    value = float(temperature)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} (τ) must be a finite number in (0, inf); got {temperature!r}")
    return value


def check_top_p(top_p: object, name: str = "top_p") -> float:
    """Top-p (nucleus mass) must lie in (0, 1]; 1 keeps every token."""
    if isinstance(top_p, bool) or not isinstance(top_p, numbers.Real):
        raise TypeError(f"{name} must be a number in (0, 1]; got {top_p!r}")
    value = float(top_p)
    if not math.isfinite(value) or not 0.0 < value <= 1.0:
        raise ValueError(f"{name} (nucleus mass) must be in (0, 1]; got {top_p!r}")
    return value


def _check_k(k: object) -> float:
    if isinstance(k, bool) or not isinstance(k, numbers.Real) or not math.isfinite(float(k)) or float(k) <= 0:
        raise ValueError(f"k (add-k smoothing) must be a finite number > 0; got {k!r}")
    return float(k)


def check_tokens(X: object, vocab_size: int, name: str = "X", min_rows: int = 1) -> np.ndarray:
    """Rows of token ids: a 2-D array of integral values in ``[0, vocab_size)`` → int64 array."""
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of token ids of shape (n_rows, length)") from None
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_rows, length) token ids; got {arr.ndim} dimension(s)")
    if arr.shape[0] < min_rows or arr.shape[1] < 1:
        raise ValueError(f"{name} needs at least {min_rows} row(s) of at least one token; got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"{name} must hold integer token ids; got dtype {arr.dtype}")
    ids = arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating) and not np.array_equal(ids, arr):
        raise ValueError(f"{name} must hold integer token ids; got non-integral or non-finite values")
    if ids.min() < 0 or ids.max() >= vocab_size:
        raise ValueError(f"{name} token ids must be in [0, {vocab_size}) (vocab_size); got values in [{ids.min()}, {ids.max()}]")
    return ids


# --------------------------------------------------------------------------- next-token distributions


def temper(p: np.ndarray, temperature: float) -> np.ndarray:
    r"""Tempered distribution(s) ``p_τ ∝ p^{1/τ}`` along the last axis (computed in log space).

    ``τ → 0`` tends to the arg-max, ``τ = 1`` returns ``p``, ``τ → ∞`` tends to uniform over the
    support of ``p``. Zero probabilities stay zero.
    """
    tau = check_temperature(temperature)
    p = np.asarray(p, dtype=float)
    if np.any(p < 0) or not np.all(np.isfinite(p)):
        raise ValueError("p must hold finite probabilities >= 0")
    if tau == 1.0:
        return p / p.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore"):
        logits = np.log(p) / tau
    logits -= logits.max(axis=-1, keepdims=True)
    out = np.exp(logits)
    return out / out.sum(axis=-1, keepdims=True)


def top_p_filter(p: np.ndarray, top_p: float) -> np.ndarray:
    """Nucleus of each distribution along the last axis (Holtzman et al. 2020), renormalised.

    Keeps the smallest number m of most probable tokens whose mass reaches ``top_p``, **and every
    token tied with the m-th** (so the nucleus never depends on token order), and zeroes the rest.
    ``top_p = 1`` returns ``p`` unchanged.
    """
    top_p = check_top_p(top_p)
    p = np.asarray(p, dtype=float)
    if top_p == 1.0:
        return p / p.sum(axis=-1, keepdims=True)
    order = np.argsort(-p, axis=-1, kind="stable")
    sorted_p = np.take_along_axis(p, order, axis=-1)
    total = sorted_p.sum(axis=-1, keepdims=True)
    mass_before = np.cumsum(sorted_p, axis=-1) - sorted_p  # mass of the tokens ranked above
    # m-th token: the last one whose preceding mass is still short of top_p
    m = (mass_before < top_p * total - 1e-12 * total).sum(axis=-1, keepdims=True)
    threshold = np.take_along_axis(sorted_p, np.maximum(m - 1, 0), axis=-1)
    out = np.where(p >= threshold, p, 0.0)
    return out / out.sum(axis=-1, keepdims=True)


def sampling_distribution(p: np.ndarray, temperature: float = 1.0, top_p: float = 1.0) -> np.ndarray:
    """What ancestral sampling draws from: ``p`` tempered at ``temperature``, then cut to its top-p nucleus."""
    return top_p_filter(temper(p, temperature), top_p)


def tempering_law(p: np.ndarray, temperature: float, steps: int) -> np.ndarray:
    r"""The unigram loop at temperature τ with infinitely many samples: ``p ∝ p_1^{τ^{-steps}}``.

    Generation ``t`` of a loop whose first model is ``p_1`` is ``tempering_law(p_1, τ, t - 1)``:
    each refit on samples at temperature τ raises the distribution to the power ``1/τ`` again.
    """
    steps = check_int("steps", steps, minimum=0)
    return temper(p, check_temperature(temperature) ** steps)


def entropy(p: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) of the distribution(s) along the last axis."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return terms.sum(axis=-1)


def zipf(vocab_size: int, exponent: float = 1.1) -> np.ndarray:
    """The Zipf law ``p(r) ∝ r^{-s}`` over ranks r = 1..V."""
    vocab_size = check_int("vocab_size", vocab_size, minimum=2)
    if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real) or not math.isfinite(exponent) or exponent < 0:
        raise ValueError(f"exponent (Zipf s) must be a finite number >= 0; got {exponent!r}")
    w = np.arange(1, vocab_size + 1, dtype=float) ** -float(exponent)
    return w / w.sum()


# --------------------------------------------------------------------------- corpora


def tokenize(text: str, level: Literal["word", "char"] = "word") -> list[str]:
    """Lower-cased words, numbers and punctuation (``level="word"``), or characters with runs of
    white space folded to one space (``level="char"``)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string; got {type(text).__name__}")
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    if level == "word":
        return _WORD.findall(text.lower())
    return list(_SPACE.sub(" ", text).strip())


@dataclass(frozen=True, eq=False)
class Corpus:
    """A tokenised corpus cut into windows of ``length`` token ids.

    ``vocab[i]`` is the token of id ``i``: ids are ranked by training frequency (ties alphabetical),
    and when the vocabulary is capped the last id is ``"<unk>"``, which stands for every rarer token.
    ``counts`` holds each id's count in the training windows.
    """

    name: str
    level: str
    vocab: tuple[str, ...]
    train: np.ndarray
    test: np.ndarray
    counts: np.ndarray
    n_tokens: int
    n_types: int
    description: str

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def length(self) -> int:
        return int(self.train.shape[1])

    def pool(self) -> FinitePool:
        """The training windows as a :class:`mad.data.FinitePool` (real data for the loop runner)."""
        return FinitePool(self.train.astype(float), name=self.name)

    def decode(self, row: Sequence[int] | np.ndarray) -> str:
        """The text of one row of token ids."""
        ids = check_tokens(np.asarray(row).reshape(1, -1), self.vocab_size, name="row")[0]
        tokens = [self.vocab[i] for i in ids]
        if self.level == "char":
            return "".join(tokens)
        text = " ".join(tokens)
        return re.sub(r" ([.,;:!?)])", r"\1", text).replace("( ", "(")


def corpus_from_text(
    text: str,
    level: Literal["word", "char"] = "word",
    length: int = 16,
    vocab_size: int | None = None,
    test_every: int = 10,
    name: str = "text",
) -> Corpus:
    """Tokenise ``text``, cap the vocabulary at ``vocab_size`` ids (the rarest tokens become
    ``"<unk>"``; ``None`` keeps every token) and cut windows of ``length`` tokens; every
    ``test_every``-th window is test text, the others training text."""
    length = check_int("length", length, minimum=1)
    test_every = check_int("test_every", test_every, minimum=2)
    tokens = tokenize(text, level)
    if len(set(tokens)) < 2:
        raise ValueError(f"corpus {name!r} must hold at least 2 distinct tokens; got {len(tokens)} token(s), {len(set(tokens))} distinct")
    n_windows = len(tokens) // length
    if n_windows < 2 * test_every:
        raise ValueError(
            f"corpus {name!r} has {len(tokens)} tokens: too few for windows of length {length} with every "
            f"{test_every}-th held out (needs at least {2 * test_every * length} tokens)"
        )
    windows = np.array(tokens[: n_windows * length], dtype=object).reshape(n_windows, length)
    is_test = np.arange(n_windows) % test_every == test_every - 1
    counts = Counter(windows[~is_test].ravel().tolist())
    for tok in set(tokens):
        counts.setdefault(tok, 0)
    ranked = sorted(counts, key=lambda tok: (-counts[tok], tok))
    if vocab_size is not None:
        vocab_size = check_int("vocab_size", vocab_size, minimum=2)
    if vocab_size is None or vocab_size >= len(ranked):
        vocab = ranked
    else:
        vocab = [*ranked[: vocab_size - 1], UNK]
    index = {tok: i for i, tok in enumerate(vocab)}
    unk = index.get(UNK, -1)
    ids = np.array([index.get(tok, unk) for tok in windows.ravel()], dtype=np.int64).reshape(n_windows, length)
    train, test = ids[~is_test], ids[is_test]
    id_counts = np.bincount(train.ravel(), minlength=len(vocab))
    desc = (
        f"{name}: {len(tokens):,} {level} tokens ({len(ranked):,} distinct), vocabulary of {len(vocab):,} ids"
        + (f" (the rarest tokens mapped to {UNK})" if unk >= 0 else "")
        + f"; {len(train):,} training and {len(test):,} test windows of {length} tokens"
    )
    return Corpus(name, level, tuple(vocab), train, test, id_counts, len(tokens), len(ranked), desc)


def pydoc_text() -> str:
    """The English text of :mod:`pydoc_data.topics` (Python's ``help("topics")``), topics in sorted order."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics))


def load_corpus(name: str = "pydoc-words", length: int = 16, vocab_size: int | None = 1000, test_every: int = 10) -> Corpus:
    """A corpus that ships with Python: ``"pydoc-words"`` or ``"pydoc-chars"`` (see :data:`CORPORA`).

    Nothing is downloaded: the text is :mod:`pydoc_data.topics` of the running Python, so the corpus is
    pinned by the Python version (``sys.version``).
    """
    if name not in CORPORA:
        raise ValueError(f"corpus must be one of {', '.join(CORPORA)}; got {name!r}")
    import sys

    level = "word" if name.endswith("words") else "char"
    corpus = corpus_from_text(pydoc_text(), level, length=length, vocab_size=vocab_size, test_every=test_every, name=name)
    return Corpus(**{**corpus.__dict__, "description": corpus.description + f" (pydoc_data.topics of Python {sys.version.split()[0]})"})


class ZipfSource(Source):
    """A known-truth token source: rows of ``length`` tokens over a vocabulary of ``vocab_size``.

    ``order=1``: i.i.d. tokens from the Zipf law ``p(r) ∝ r^{-s}`` (token id = rank - 1).
    ``order=2``: a bigram chain; the first token and the token after each ``v`` follow the same Zipf
    law over a permutation of the vocabulary drawn once from ``random_state`` (one per context), so
    every conditional has the same entropy and the same tempering normaliser.

    ``initial_`` (V,) and ``transition_`` (V, V) hold the exact probabilities.
    """

    def __init__(self, vocab_size: int = 60, exponent: float = 1.1, length: int = 16, order: int = 1, random_state: int = 0) -> None:
        self.vocab_size = check_int("vocab_size", vocab_size, minimum=2)
        self.length = check_int("length", length, minimum=1)
        self.order = check_int("order", order, minimum=1, maximum=2)
        self.exponent = exponent
        self.law_ = zipf(self.vocab_size, exponent)
        V = self.vocab_size
        if self.order == 1:
            self.initial_ = self.law_.copy()
            self.transition_ = np.tile(self.law_, (V, 1))
        else:
            gen = as_generator(random_state)
            perms = np.array([gen.permutation(V) for _ in range(V + 1)])
            table = self.law_[perms]  # row c: token w has rank perms[c, w]
            self.initial_, self.transition_ = table[V], table[:V]
        self.n_features = self.length

    def sample_labelled(self, n: int, random_state: int | np.random.Generator | None = None) -> tuple[np.ndarray, None]:
        n = check_int("n", n, minimum=0)
        gen = as_generator(random_state)
        X = np.empty((n, self.length), dtype=np.int64)
        if n == 0:
            return X.astype(float), None
        X[:, 0] = _draw(np.broadcast_to(np.cumsum(self.initial_), (n, self.vocab_size)), gen.random(n))
        cdf = np.cumsum(self.transition_, axis=1)
        for i in range(1, self.length):
            X[:, i] = _draw(cdf[X[:, i - 1]], gen.random(n))
        return X.astype(float), None

    def log_prob(self, X: np.ndarray) -> np.ndarray:
        """Exact log-probability (nats) of each row under the source."""
        ids = check_tokens(X, self.vocab_size)
        lp = np.log(self.initial_[ids[:, 0]])
        if ids.shape[1] > 1:
            lp = lp + np.log(self.transition_[ids[:, :-1], ids[:, 1:]]).sum(axis=1)
        return lp


def _draw(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draws: for each row, the first index whose cumulative probability exceeds u."""
    idx = (cdf < (u * cdf[:, -1])[:, None]).sum(axis=1)
    return np.minimum(idx, cdf.shape[1] - 1)


def _flat_cdf(cdf: np.ndarray) -> np.ndarray:
    """A table of CDFs laid out flat, row r shifted by r (so each row's values lie in (r, r + 1])."""
    return (cdf / cdf[:, -1:] + np.arange(cdf.shape[0])[:, None]).ravel()


def _draw_rows(flat: np.ndarray, V: int, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draws from the rows ``rows`` of a flat table of CDFs (:func:`_flat_cdf`) by one binary search."""
    keys = rows + u
    if flat.size <= 1 << 16:  # the table fits in cache
        idx = np.searchsorted(flat, keys, side="right")
    else:  # sorted keys make the binary searches in a large table cache-friendly
        order = np.argsort(keys)
        idx = np.empty(keys.size, dtype=np.int64)
        idx[order] = np.searchsorted(flat, keys[order], side="right")
    return np.clip(idx - rows * V, 0, V - 1)


# --------------------------------------------------------------------------- the n-gram model


class NGramModel(GenerativeModel):
    r"""An n-gram language model over rows of token ids, with add-k smoothing.

    ``p̂(w | c) = (N(c, w) + k) / (N(c) + kV)`` for the previous ``order - 1`` tokens ``c`` (contexts of
    the first positions left-padded with ``BOS = V``); unseen contexts get the uniform distribution.
    Sampling is ancestral, token by token, from every next-token distribution tempered at τ = λ
    (``p_τ ∝ p^{1/τ}``) and cut to its top-``top_p`` nucleus (see the module docstring for why this is
    not the tempered *sequence* distribution of a chain).

    Parameters
    ----------
    vocab_size: V, the number of token ids (rows hold ids in ``[0, V)``).
    order: n of the n-gram (1: unigram, 2: bigram, ...).
    k: add-k smoothing constant, > 0.
    top_p: nucleus mass in (0, 1] applied at sampling time (1: no truncation).
    length: length of sampled rows (``None``: the length of the training rows).
    random_state: unused by ``fit`` (counting is deterministic); kept for the common signature.
    """

    lam_rule = "temperature τ = λ on every next-token distribution: p_τ(w | c) ∝ p(w | c)^(1/τ), then the top-p nucleus"

    def __init__(
        self,
        vocab_size: int = 2,
        order: int = 2,
        k: float = 0.01,
        top_p: float = 1.0,
        length: int | None = None,
        random_state: int | None = None,
    ) -> None:
        self.vocab_size = vocab_size
        self.order = order
        self.k = k
        self.top_p = top_p
        self.length = length
        self.random_state = random_state

    # -- contexts ---------------------------------------------------------------------------

    def _contexts(self, ids: np.ndarray) -> np.ndarray:
        """Integer code of the context of every position: base-(V+1) digits of the previous tokens."""
        V, m = self.vocab_size_, self.order_ - 1
        n, L = ids.shape
        if m == 0:
            return np.zeros((n, L), dtype=np.int64)
        padded = np.concatenate([np.full((n, m), V, dtype=np.int64), ids], axis=1)
        code = np.zeros((n, L), dtype=np.int64)
        for j in range(m):
            code = code * (V + 1) + padded[:, j : j + L]
        return code

    def _rows_of(self, codes: np.ndarray) -> np.ndarray:
        """Row of the probability table for each context code (the last row: unseen contexts)."""
        pos = np.searchsorted(self.contexts_, codes)
        pos = np.minimum(pos, len(self.contexts_) - 1)
        seen = self.contexts_[pos] == codes
        return np.where(seen, pos, len(self.contexts_))

    # -- fit ------------------------------------------------------------------------------------

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> NGramModel:
        self.vocab_size_ = check_int("vocab_size", self.vocab_size, minimum=2)
        self.order_ = check_int("order (n of the n-gram)", self.order, minimum=1)
        self.k_ = _check_k(self.k)
        self.top_p_ = check_top_p(self.top_p)
        V = self.vocab_size_
        if (self.order_ - 1) * math.log(V + 1) > math.log(2**62):
            raise ValueError(f"order {self.order_} is too high for vocab_size {V}: contexts do not fit in 64-bit codes")
        ids = check_tokens(X, V)
        self.length_ = ids.shape[1] if self.length is None else check_int("length", self.length, minimum=1)
        if self.order_ == 1:  # one context: skip the sort
            contexts, inverse = np.zeros(1, dtype=np.int64), np.zeros(ids.size, dtype=np.int64)
        else:
            contexts, inverse = np.unique(self._contexts(ids).ravel(), return_inverse=True)
        if (len(contexts) + 1) * V > MAX_TABLE:
            raise ValueError(
                f"{len(contexts):,} contexts x vocab_size {V:,} exceed the table limit of {MAX_TABLE:,} entries: lower order or vocab_size"
            )
        flat = inverse.ravel().astype(np.int64) * V + ids.ravel()
        counts = np.bincount(flat, minlength=(len(contexts) + 1) * V).astype(float).reshape(len(contexts) + 1, V)
        self.contexts_ = contexts
        self.counts_ = counts  # last row: the unseen context (all zero)
        self.probs_ = (counts + self.k_) / (counts.sum(axis=1, keepdims=True) + self.k_ * V)
        self.n_tokens_ = ids.size
        self.fitted_ = True
        return self

    # -- scoring ------------------------------------------------------------------------------

    def token_log_probs(self, X: np.ndarray) -> np.ndarray:
        """``log p̂(x_i | c_i)`` (nats) of every token of every row, shape ``(n, L)``."""
        self._check_fitted()
        ids = check_tokens(X, self.vocab_size_)
        rows = self._rows_of(self._contexts(ids))
        return np.log(self.probs_[rows, ids])

    def log_prob(self, X: np.ndarray) -> np.ndarray:
        """Log-probability (nats) of each row: ``Σ_i log p̂(x_i | c_i)``."""
        return self.token_log_probs(X).sum(axis=1)

    def nll(self, X: np.ndarray) -> float:
        """Mean negative log-likelihood per token (nats) of the rows ``X``."""
        return float(-self.token_log_probs(X).mean())

    def perplexity(self, X: np.ndarray) -> float:
        """Perplexity ``exp(mean NLL per token)`` of the rows ``X``."""
        return float(np.exp(self.nll(X)))

    def next_token_distribution(self, context: Sequence[int] = ()) -> np.ndarray:
        """``p̂(· | c)`` after the given previous tokens (the last ``order - 1`` are used; shorter
        contexts are left-padded with ``BOS``, as at the start of a row)."""
        self._check_fitted()
        m = self.order_ - 1
        ctx = [int(t) for t in context][-m:] if m else []
        if any(t < 0 or t >= self.vocab_size_ for t in ctx):
            raise ValueError(f"context token ids must be in [0, {self.vocab_size_}); got {list(context)!r}")
        ctx = [self.vocab_size_] * (m - len(ctx)) + ctx
        code = 0
        for t in ctx:
            code = code * (self.vocab_size_ + 1) + t
        return self.probs_[self._rows_of(np.array([code]))[0]].copy()

    # -- sampling -----------------------------------------------------------------------------

    def sample_tempered(
        self, n: int, temperature: float = 1.0, top_p: float | None = None, random_state: int | np.random.Generator | None = None
    ) -> np.ndarray:
        """``n`` rows (int64 token ids) by ancestral sampling at any temperature τ > 0 and nucleus
        ``top_p`` in (0, 1] (default: the model's ``top_p``)."""
        n = check_int("n", n, minimum=1)
        tau = check_temperature(temperature)
        p = self.top_p_ if top_p is None else check_top_p(top_p)
        self._check_fitted()
        gen = as_generator(random_state)
        flat = _flat_cdf(np.cumsum(sampling_distribution(self.probs_, tau, p), axis=1))
        V, m = self.vocab_size_, self.order_ - 1
        if m == 0:  # unigram: every token from the one distribution, drawn at once
            u = gen.random(n * self.length_)
            return _draw_rows(flat, V, np.zeros(u.size, dtype=np.int64), u).reshape(n, self.length_)
        X = np.empty((n, self.length_), dtype=np.int64)
        history = np.full((n, m), V, dtype=np.int64)
        for i in range(self.length_):
            code = np.zeros(n, dtype=np.int64)
            for j in range(m):
                code = code * (V + 1) + history[:, j]
            X[:, i] = _draw_rows(flat, V, self._rows_of(code), gen.random(n))
            if m:
                history = np.concatenate([history[:, 1:], X[:, i : i + 1]], axis=1)
        return X

    def _sample(self, n: int, lam: float, rng: np.random.Generator) -> np.ndarray:
        return self.sample_tempered(n, temperature=lam, random_state=rng).astype(float)


# --------------------------------------------------------------------------- metrics


def distinct_tokens(X: np.ndarray) -> int:
    """Number of distinct token ids in the rows ``X`` (the vocabulary a sample uses)."""
    return int(np.unique(np.asarray(X).astype(np.int64)).size)


def tail_share(X: np.ndarray, tail: np.ndarray) -> float:
    """Share of the tokens of ``X`` that belong to the set ``tail`` (ids of the real data's rare tokens)."""
    ids = np.asarray(X).astype(np.int64)
    return float(np.isin(ids, np.asarray(tail, dtype=np.int64)).mean())


def tail_tokens(counts: np.ndarray, head_mass: float = 0.8) -> np.ndarray:
    """Ids outside the *head*: the fewest most frequent ids that hold ``head_mass`` of the tokens.

    ``counts`` are token counts (for example :attr:`Corpus.counts`); ties are broken by id.
    """
    from mad.validation import check_fraction

    head_mass = check_fraction("head_mass", head_mass)
    counts = np.asarray(counts, dtype=float)
    order = np.argsort(-counts, kind="stable")
    cum = np.cumsum(counts[order]) / counts.sum()
    n_head = int(np.searchsorted(cum, head_mass - 1e-12) + 1)
    return np.sort(order[n_head:])


def sequence_probabilities(
    initial: np.ndarray, transition: np.ndarray, length: int, temperature: float, per_step: bool = True
) -> np.ndarray:
    r"""Exact probabilities of all ``V^length`` sequences of a first-order chain at temperature τ.

    ``per_step=True``: the chain with every next-token distribution tempered (what ancestral sampling
    at temperature τ draws), ``p_τ(x_1) Π_i p_τ(x_i | x_{i-1})``. ``per_step=False``: the tempered
    sequence distribution ``p(x_{1:L})^{1/τ} / Z``. Rows are the sequences in lexicographic order.
    The two agree when every context's normaliser ``Σ_w p(w | c)^{1/τ}`` is the same.
    """
    initial = np.asarray(initial, dtype=float)
    transition = np.asarray(transition, dtype=float)
    V = initial.size
    if transition.shape != (V, V):
        raise ValueError(f"transition must have shape ({V}, {V}); got {transition.shape}")
    length = check_int("length", length, minimum=1)
    if V**length > 2_000_000:
        raise ValueError(f"V^length = {V}^{length} sequences is too many to enumerate (limit 2,000,000)")
    tau = check_temperature(temperature)
    if per_step:
        initial, transition = temper(initial, tau), temper(transition, tau)
    probs = initial.copy()
    for _ in range(length - 1):
        probs = (probs[:, None] * transition[np.arange(probs.size) % V]).reshape(-1)
    return probs if per_step else temper(probs, tau)
