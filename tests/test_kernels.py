"""The C kernels (normalize/compiled.py: KERNELS) give exactly what the numpy code they replace gives."""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize import compiled
from normalize.dedup import key, minhash, shingles, verify
from normalize.detect.langid import judge, scorer
from normalize.detect.langid.evidence import documents_evidence
from normalize.detect.langid.memo import MEMO
from normalize.strip import corpus

built = pytest.mark.skipif(key.kernels is None or scorer.kernels is None or minhash.kernels is None
                           or corpus.kernels is None or judge.kernels is None,
                           reason="the kernels are not built here (no C compiler, or pure Python asked for)")

# characters that take the rarer paths: expansions (ß, ﬁ, ⑴), digits of other
# scripts, line breaks other than "\n", astral letters, emoji, capitals in runs,
# scripts written without spaces (Chinese, Thai, kana)
_ODD = "aB1 2\n\t.,;ßﬁﬀ⑴①Ǆİ\u00a0\u2028\u0085😀𝐀中文ไทย١٢ПРИВЕТ мир NATO BBC ÀÉ éひらがなカタカナ"
_TEXT = st.text(alphabet=st.one_of(st.sampled_from(_ODD), st.characters(blacklist_categories=("Cs",))), max_size=80)
# long enough for a line to be cut (lines are read to at least scorer.MIN_LINE_SAMPLE characters)
_LONG_TEXT = st.text(alphabet=st.one_of(st.sampled_from(_ODD), st.characters(blacklist_categories=("Cs",))),
                     max_size=400)


def _variants(seed_texts: dict[str, str]) -> list[str]:
    """The seeds, and pieces of them cut at random places: lines that start or
    end in the middle of a word, digit run or line break."""
    rng = random.Random(3)
    texts = list(seed_texts.values())
    for text in list(texts):
        for _ in range(5):
            a = rng.randrange(len(text) + 1)
            texts.append(text[a:a + rng.randrange(1, 400)])
    return texts + ["", "\n", " ", "1", "ß", "\n\nx", "x\n\n", "  12 34  ", "A", "AB", "ABC", "A\nB"]


def _keys_and_words(texts: list[str], seed: int = 7) -> list[np.ndarray]:
    batch = key.batch_keys(texts)
    return [batch.points, batch.starts, batch.ends, *shingles._word_items(batch, seed),
            shingles.unspaced_docs(batch), *shingles.batch_shingles_lines(batch, 3, 5, seed)]


def _without(monkeypatch, *modules):
    for module in modules:
        monkeypatch.setattr(module, "kernels", None)


def _assert_same(mine: list[np.ndarray], reference: list[np.ndarray]) -> None:
    assert len(mine) == len(reference)
    for a, b in zip(mine, reference):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def _scores(texts: list[str], budget) -> list[np.ndarray]:
    """The scores of ``texts``, then again with every line remembered (read from
    the memo, and so left out of the characters scored)."""
    MEMO.clear()
    first, again = scorer.score_documents(texts, budget), scorer.score_documents(texts, budget)
    return [array for s in first + again for array in (s.loglik, s.grams, s.scripts)]


@built
@pytest.mark.parametrize("size", [1, 3, 50])
def test_keys_and_words_are_those_of_numpy(seed_texts, monkeypatch, size):
    texts = _variants(seed_texts)
    batches = [texts[i:i + size] for i in range(0, len(texts), size)]
    mine = [_keys_and_words(b) for b in batches]
    _without(monkeypatch, key, shingles)
    reference = [_keys_and_words(b) for b in batches]
    for m, r in zip(mine, reference):
        _assert_same(m, r)
    assert sum(len(m[3]) for m in mine) > 2_000  # words were hashed


@built
@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, max_size=6))
def test_keys_and_words_of_any_text_are_those_of_numpy(texts):
    mine = _keys_and_words(texts)
    with pytest.MonkeyPatch.context() as mp:
        _without(mp, key, shingles)
        reference = _keys_and_words(texts)
    _assert_same(mine, reference)


_SETS = st.lists(st.integers(min_value=0, max_value=300), max_size=200).map(
    lambda values: np.unique(np.array(values, dtype=np.uint32)))


@built
@settings(max_examples=300, deadline=None)
@given(_SETS, st.lists(_SETS, max_size=6))
def test_intersection_sizes_are_those_of_numpy(mine, others):
    counts = verify.overlaps(mine, others)
    with pytest.MonkeyPatch.context() as mp:
        _without(mp, verify)
        assert counts.tolist() == verify.overlaps(mine, others).tolist()
        assert counts.tolist() == [len(np.intersect1d(mine, o)) for o in others]


@built
@settings(max_examples=300, deadline=None)
@given(_SETS, st.lists(_SETS, max_size=6), st.sampled_from([0.5, 0.3, 0.9]), st.sampled_from([0.8, 0.5]),
       st.sampled_from([20, 1, 500]))
def test_intersection_sizes_reaching_are_exact_or_short_of_a_copy(mine, others, threshold, containment, least):
    from normalize.dedup.settings import DedupSettings

    dedup = DedupSettings(threshold=threshold, containment=containment, min_containment_shingles=least)
    exact = [len(np.intersect1d(mine, o)) for o in others]
    for count, true, other in zip(verify.overlaps_reaching(mine, others, dedup).tolist(), exact, others):
        # exact where a copy is possible; -1 only where similarity_given could say no copy anyway
        assert count == true or (count == -1 and true < verify.least_overlap(len(mine), len(other), dedup))
        if count == -1:
            assert verify.similarity_given(mine, other, true, dedup) is None
    with pytest.MonkeyPatch.context() as mp:
        _without(mp, verify)
        assert verify.overlaps_reaching(mine, others, dedup).tolist() == exact


@built
def test_intersection_sizes_reaching_take_any_array_the_kernel_refuses():
    """Sets are handed to the kernel as they are; one it cannot read (another
    dtype, a strided view) has all of them counted by numpy instead."""
    from normalize.dedup.settings import DedupSettings

    rng = np.random.default_rng(7)
    mine = np.unique(rng.integers(0, 5000, 800)).astype(np.uint32)
    others = [np.unique(rng.integers(0, 5000, n)).astype(np.uint32) for n in (700, 900, 50)]
    odd = [others[0], others[1].astype(np.int64), np.repeat(others[2], 2)[::2]]
    assert not odd[2].flags.c_contiguous
    dedup = DedupSettings()
    exact = [len(np.intersect1d(mine, o)) for o in others]
    assert verify.overlaps_reaching(mine, odd, dedup).tolist() == exact
    assert verify.overlaps_reaching(mine.astype(np.int64), others, dedup).tolist() == exact
    reaching = verify.overlaps_reaching(mine, others, dedup).tolist()
    assert all(count in (true, -1) for count, true in zip(reaching, exact))


# a set with the line of each value: (values, lines) drawn together, so that
# some lines hold many values and line 0 (a headline) is short or missing
_LAID_OUT = st.lists(st.tuples(st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=12)),
                     min_size=1, max_size=150)


def _laid_out(pairs: list[tuple[int, int]], laid: bool = True):
    from normalize.dedup.shingles import ShingleSet

    first = dict(reversed(pairs))  # (a value's line: its first occurrence, as sets_with_lines keeps it)
    values = np.array(sorted(first), dtype=np.uint32)
    lines = np.array([first[v] for v in values.tolist()], dtype=np.int32)
    return ShingleSet(values, lines if laid else None)


@built
@settings(max_examples=400, deadline=None)
@given(_LAID_OUT, _LAID_OUT, st.integers(min_value=0, max_value=400), st.booleans(), st.sampled_from([3, 20, 60]))
def test_partial_copies_are_judged_as_numpy_judges_them(a, b, shared, laid, headline_max):
    """The lines of the longer text carried by the shorter one and whether both
    open with the same headline, from one merge in C, decide as numpy does."""
    from normalize.dedup.settings import DedupSettings

    big = _laid_out(a + b[:shared])
    small = _laid_out(b, laid)
    dedup = DedupSettings(headline_max_shingles=headline_max, word_share_alone=1.01, min_word_share=0.0)
    inter = verify.overlap(np.asarray(small), np.asarray(big))
    share = verify.line_share(big.lines, verify.members(np.asarray(big), np.asarray(small)))
    found = verify._carried_c(small, big, big.lines, headline_max)
    assert found == (share, verify.same_headline(small, big, headline_max))
    judged = verify.is_partial_copy(small, big, inter, dedup)
    with pytest.MonkeyPatch.context() as mp:
        _without(mp, verify)
        assert verify.is_partial_copy(small, big, inter, dedup) == judged


def _signatures(batches: list[tuple[np.ndarray, np.ndarray, int]], num_perm: int, seed: int) -> list[np.ndarray]:
    out = []
    for hashes, owner, n_docs in batches:
        out += minhash.oph_batch(hashes, owner, n_docs, num_perm, seed)
    return out


def _batch_of(docs: list[np.ndarray], shuffle: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    owner = np.repeat(np.arange(len(docs)), [len(d) for d in docs])
    hashes = np.concatenate(docs) if docs else np.empty(0, np.uint64)
    if shuffle is not None:
        order = np.random.default_rng(shuffle).permutation(len(owner))
        hashes, owner = hashes[order], owner[order]
    return hashes, owner, len(docs)


@built
@pytest.mark.parametrize("num_perm", [128, 16])
def test_signatures_are_those_of_numpy(seed_texts, monkeypatch, num_perm):
    """Bins filled straight from the hashes, distinct ones counted, empty bins
    densified: as numpy's sort does it, on the shingles of batches of the seeds
    and pieces of them (a piece too short for an n-gram has one shingle of
    everything; hashes in any order: see the test below)."""
    texts = _variants(seed_texts)
    batches = []
    for i in range(0, len(texts), 32):
        hashes, owner, _ = shingles.batch_shingles_lines(key.batch_keys(texts[i:i + 32]), 3, 5, 1)
        batches.append((hashes, owner, len(texts[i:i + 32])))
    assert any((np.bincount(b[1]) == 1).any() for b in batches), "some batch holds a piece too short for an n-gram"
    mine = _signatures(batches, num_perm, 1)
    monkeypatch.setattr(minhash, "kernels", None)
    _assert_same(mine, _signatures(batches, num_perm, 1))
    sigs = np.concatenate(mine[0::2])
    assert (sigs == np.uint32(0xFFFFFFFF)).all(axis=1).sum() < len(sigs)  # not all empty
    assert any(0 < n < num_perm for n in np.concatenate(mine[1::2])), "some documents leave bins to densify"


_HASHES = st.lists(st.integers(min_value=0, max_value=2 ** 64 - 1), max_size=300).map(
    lambda values: np.array(values, dtype=np.uint64))


@built
@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_HASHES, _HASHES.map(lambda h: np.concatenate([h, h[:7]]))), max_size=8),
       st.sampled_from([128, 8]), st.integers(min_value=0, max_value=2 ** 32))
def test_signatures_of_any_hashes_are_those_of_numpy(docs, num_perm, seed):
    mine = _signatures([_batch_of(docs)], num_perm, seed)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(minhash, "kernels", None)
        _assert_same(mine, _signatures([_batch_of(docs)], num_perm, seed))
    _assert_same(mine, _signatures([_batch_of(docs, shuffle=seed)], num_perm, seed))  # hashes in any order
    # distinct shingles counted (hashes alike in their bin and value count once)
    assert [(0 < n <= len(set(d.tolist()))) or n == len(d) == 0 for n, d in zip(mine[1].tolist(), docs)] == [True] * len(docs)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2 ** 40), max_size=300), st.sampled_from([1, 2 ** 24, 2 ** 56]))
def test_first_occurrences_are_those_of_numpy_unique(values, scale):
    keys = np.array(values, dtype=np.uint64) * np.uint64(scale)  # past 2**64 they wrap: values of any width
    mine, reference = shingles._first_of_each(keys), np.unique(keys, return_index=True)
    _assert_same(list(mine), list(reference))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=2 ** 32 - 1), max_size=60), max_size=8))
def test_first_occurrences_sorted_document_by_document_are_those_of_numpy_unique(docs):
    # a batch's keys: each document's number in the high bits, as sets_with_lines makes them
    owners = np.repeat(np.arange(len(docs), dtype=np.uint64), [len(d) for d in docs])
    keys = (owners << np.uint64(32)) | np.array([v for d in docs for v in d], dtype=np.uint64)
    stretches = np.searchsorted(owners, np.arange(len(docs) + 1)).tolist()
    mine, reference = shingles._first_of_each(keys, stretches), np.unique(keys, return_index=True)
    _assert_same(list(mine), list(reference))


def test_a_key_that_expands_past_the_first_guess_of_room_is_whole():
    """Each "ﬃ" is three letters: the kernel runs out of room and starts again larger."""
    text = "ﬃ" * 500 + " 12 ﬃ"
    assert key.lined_key(text) == "ffi" * 500 + " 0 ffi"


@built
@pytest.mark.parametrize("budget", [None, 300])
def test_line_scores_are_those_of_numpy(seed_texts, monkeypatch, budget):
    texts = _variants(seed_texts)
    mine = [_scores(texts[i:i + 4], budget) for i in range(0, len(texts), 4)]
    _without(monkeypatch, scorer)
    reference = [_scores(texts[i:i + 4], budget) for i in range(0, len(texts), 4)]
    for m, r in zip(mine, reference):
        _assert_same(m, r)
    assert sum(float(m[1].sum()) for m in mine) > 10_000  # n-grams were found


@built
@settings(max_examples=300, deadline=None)
@given(st.lists(_LONG_TEXT, min_size=1, max_size=4), st.sampled_from([None, 40]))
def test_line_scores_of_any_text_are_those_of_numpy(texts, budget):
    mine = _scores(texts, budget)
    with pytest.MonkeyPatch.context() as mp:
        _without(mp, scorer)
        reference = _scores(texts, budget)
    _assert_same(mine, reference)


@built
@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2 ** 32), st.integers(1, 40), st.integers(0, 3))
def test_stories_are_those_of_numpy_and_scipy(seed, n_docs, cliques):
    """Documents of two sites with prose lines drawn from a few stories, some
    lines carried by more than COMMON documents, and ``cliques`` groups of
    documents that share every line."""
    from array import array

    rng = random.Random(seed)
    summaries = []
    for n in range(n_docs):
        story = rng.randrange(4)
        prose = {story * 50 + rng.randrange(10) for _ in range(rng.randint(1, 9))}
        summaries.append(corpus.Summary(rng.choice("ab"), array("Q", sorted(prose)), array("Q")))
    for c in range(cliques):
        shared = array("Q", range(1000 * (c + 1), 1000 * (c + 1) + 3))
        summaries += [corpus.Summary("a", shared, array("Q")) for _ in range(rng.randint(2, 30))]
    everywhere = array("Q", [7])  # on more pages of site a than COMMON: it links none of them
    summaries += [corpus.Summary("a", everywhere, array("Q")) for _ in range(corpus.COMMON + 1)]
    rng.shuffle(summaries)
    collected = corpus.Collected.of(summaries)
    mine = corpus._same_story(collected)
    with pytest.MonkeyPatch.context() as mp:
        _without(mp, corpus)
        reference = corpus._same_story(collected)
    assert mine.dtype == reference.dtype and np.array_equal(mine, reference)


def test_a_build_compiles_every_kernel_or_none():
    assert compiled.compiled(compiled.KERNELS) in ([], list(compiled.KERNELS))


# per line: letters, the language a script settles it in (-1: none), whether it has n-grams
_LINE = st.tuples(st.integers(min_value=0, max_value=150), st.sampled_from([-1, -1, -1, 0, 5]), st.booleans())


@built
@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_LINE, max_size=25), max_size=8))
def test_document_blocks_are_those_of_the_python_loop(docs):
    lines = [line for doc in docs for line in doc]
    letters = np.array([n for n, _, _ in lines], dtype=np.int64)
    settled = np.array([sid if n > 0 else -1 for n, sid, _ in lines], dtype=np.int64)
    modelled = np.array([has and n > 0 for n, _, has in lines], dtype=bool)
    bounds = np.cumsum([0] + [len(doc) for doc in docs]).tolist()
    documents = [range(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    rows, starts, plans = judge._blocks_c(letters, settled, modelled, bounds)
    reference = judge._blocks(letters.tolist(), settled.tolist(), modelled.tolist(), documents)
    assert (rows.tolist(), starts.tolist(), plans) == reference


@built
def test_documents_top_is_that_of_the_python_loop(seed_texts, monkeypatch):
    texts = _variants(seed_texts)
    evidence = documents_evidence(["\n".join(texts)])[0]
    sizes = [len(text.split("\n")) for text in texts]
    bounds = np.cumsum([0] + sizes).tolist()
    documents = [range(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    assert judge._bounds(documents) == bounds
    mine = judge.documents_top(evidence, documents)
    monkeypatch.setattr(judge, "kernels", None)
    assert judge.documents_top(evidence, documents) == mine
    assert judge.documents_top(evidence, [list(rows) for rows in documents]) == mine  # (lists: the Python loop)
    assert sum(1 for top in mine if top) > len(texts) // 2  # most documents have a language
