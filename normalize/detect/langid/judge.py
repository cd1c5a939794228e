"""From per-line evidence to decisions: the document's languages, each line's language.

**Document.** Lines are pooled into blocks of consecutive lines with at least
:data:`BLOCK_LETTERS` letters (a headline or a caption alone is too short to
judge, a paragraph is not); each block gets a distribution over languages, and
the document's distribution is their average weighted by letters. The score
thus reads as "the share of the text in this language": an English article
quoting one German sentence stays ``en`` with a slightly lower score, instead
of flipping or being dropped for a low score. Lines that a one-language script
settles count as blocks of that language.

**Line.** A line with enough letters (:data:`~.evidence.LONG_LINE`) is judged
by its n-grams, nudged towards the document's language (a near tie between
Danish and Norwegian in a Danish text is Danish). A shorter line goes by its
script: a one-language script names the language; a line in the script of the
document's language is taken to be in that language; otherwise the n-grams
choose among the languages written in the line's script.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from normalize.detect.langid.evidence import LONG_LINE, SCRIPT_SHARE, TEMPERATURE, LineEvidence
from normalize.detect.langid.profiles import load_profiles
from normalize.detect.langid.scorer import LineScores
from normalize.detect.langid.script_langs import UND, dominant_one, script_langs

kernels: Any  # (the C module, or None)
try:  # the blocks of a batch's documents as one C loop (see kernels.pyx); Python otherwise
    from normalize.detect.langid import kernels  # type: ignore[attr-defined, no-redef]
except ImportError:  # pragma: no cover - not built (no compiler, or NORMALIZE_PURE_PYTHON)
    kernels = None


# Letters per block of consecutive lines for the document distribution.
BLOCK_LETTERS = 60
# Prior for a line being in its document's language: 0.9 against 0.1 shared by
# the other 54 profile languages, in nats on the tempered scale.
LINE_PRIOR = math.log(0.9 / (0.1 / 54))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def document_top(ev: LineEvidence, k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` likeliest languages of the whole text with their shares, best
    first; empty when no line has anything to judge."""
    return documents_top(ev, [range(len(ev.letters))], k)[0]


def documents_top(ev: LineEvidence, documents: list[Sequence[int]], k: int = 3) -> list[list[tuple[str, float]]]:
    """:func:`document_top` of several documents whose lines are rows of one
    batch's evidence (``documents``: each one's rows, in order), with the
    array steps taken once for the batch rather than once per document.

    Per document: its lines that a one-language script settles count as
    letters of that language; the others with n-grams are pooled, in order,
    into blocks of at least :data:`BLOCK_LETTERS` letters (a short tail joins
    the block before it); each block's distribution is the soft-max of its
    summed log-likelihoods, and the document's is their average weighted by
    letters.

    A document gets the same figures, to the last bit, whatever else is in
    the batch: a block's sum adds its rows in order, and the soft-max works
    row by row, wherever the row is; only the weighted sum over a document's
    blocks is a product that may add in another order in another place in
    memory, so it is made per document, on a copy of the document's rows.
    """
    settled_ids = ev.settled_by_script(short_too=False)
    modelled = (ev.letters > 0) & (ev.grams > 0)
    bounds = _bounds(documents) if kernels is not None else None
    model_rows: Any  # (a list, or an array of the C loop's)
    block_starts: Any
    if bounds is not None:
        model_rows, block_starts, plans = _blocks_c(ev.letters, settled_ids, modelled, bounds)
    else:
        model_rows, block_starts, plans = _blocks(ev.letters.tolist(), settled_ids.tolist(), modelled.tolist(),
                                                  documents)
    softmax = _softmax(np.add.reduceat(ev.loglik[model_rows], block_starts, axis=0)) if len(model_rows) else None
    langs = load_profiles().langs
    out: list[list[tuple[str, float]]] = []
    for weights, first_block, settled in plans:
        # (each sum on its own: compiled, mypyc takes ``sum(a) + sum(b)`` of floats for ints)
        modelled_letters: float = sum(weights)
        settled_letters: float = sum(settled.values())
        total = modelled_letters + settled_letters
        if total <= 0:
            out.append([])
            continue
        mass: dict[str, float] = {lang: n / total for lang, n in settled.items()}
        if weights:
            assert softmax is not None
            dist = (np.asarray(weights) / total) @ softmax[first_block:first_block + len(weights)].copy()
            for j in np.argsort(-dist, kind="stable")[:k].tolist():
                mass[langs[j]] = mass.get(langs[j], 0.0) + float(dist[j])
        out.append(sorted(mass.items(), key=lambda kv: (-kv[1], kv[0]))[:k])
    return out


def _blocks(letters: list[int], settled_ids: list[int], modelled: list[bool], documents: list[Sequence[int]]
            ) -> tuple[list[int], list[int], list[tuple[list[float], int, dict[str, float]]]]:
    """The rows that go into blocks (of all documents, in order), where each
    block starts among them, and per document: its blocks' weights (letters),
    its first block, and the letters a script settles, by language."""
    codes = script_langs().codes
    model_rows: list[int] = []  # of all documents, in order
    block_starts: list[int] = []  # into model_rows
    plans = []
    for rows in documents:
        settled: dict[str, float] = {}
        weights: list[float] = []
        first_block = len(block_starts)
        filling = 0  # letters in the open block
        for row in rows:
            n, sid = letters[row], settled_ids[row]
            if sid >= 0:
                settled[codes[sid]] = settled.get(codes[sid], 0.0) + n
                continue
            if not modelled[row]:
                continue
            if filling == 0:
                block_starts.append(len(model_rows))
                weights.append(0.0)
            model_rows.append(row)
            weights[-1] += n
            filling += n
            if filling >= BLOCK_LETTERS:
                filling = 0
        if filling and len(weights) > 1:  # a short tail joins the block before it
            block_starts.pop()
            tail = weights.pop()
            weights[-1] += tail
        plans.append((weights, first_block, settled))
    return model_rows, block_starts, plans


def _bounds(documents: list[Sequence[int]]) -> list[int] | None:
    """Where each document's rows start (and the last ends), if each is a run
    of rows (a ``range``) starting where the one before ends; else None."""
    bounds = [documents[0].start if documents and isinstance(documents[0], range) else 0]
    for rows in documents:
        if not isinstance(rows, range) or rows.step != 1 or rows.start != bounds[-1] or rows.stop < rows.start:
            return None
        bounds.append(rows.stop)
    return bounds


def _blocks_c(letters: np.ndarray, settled_ids: np.ndarray, modelled: np.ndarray, bounds: list[int]
              ) -> tuple[np.ndarray, np.ndarray, list[tuple[list[float], int, dict[str, float]]]]:
    """:func:`_blocks` of documents that are runs of rows (``bounds``), the
    blocks made in one C loop (:func:`.kernels.letter_blocks`): a page has
    dozens of lines, and the loop in Python was a tenth of the stage. The
    lines a script settles are few, and added up here, in order."""
    n = letters.size
    letters = np.ascontiguousarray(letters, dtype=np.int64)
    settled_ids = np.ascontiguousarray(settled_ids, dtype=np.int64)
    model_rows = np.empty(n, dtype=np.int64)
    block_starts = np.empty(n, dtype=np.int64)
    weights = np.empty(n, dtype=np.float64)
    first_blocks = np.empty(len(bounds), dtype=np.int64)
    n_rows = kernels.letter_blocks(letters, settled_ids, np.ascontiguousarray(modelled).view(np.uint8),
                                   np.asarray(bounds, dtype=np.int64), BLOCK_LETTERS, model_rows, block_starts,
                                   weights, first_blocks)
    if n_rows < 0:
        raise ValueError("evidence rows out of step with the documents")
    firsts = first_blocks.tolist()
    all_weights = weights[:firsts[-1]].tolist()
    settled: list[dict[str, float]] = [{} for _ in range(len(bounds) - 1)]
    by_script = np.flatnonzero(settled_ids >= 0)
    if by_script.size:
        codes = script_langs().codes
        owners = (np.searchsorted(np.asarray(bounds), by_script, side="right") - 1).tolist()
        for row, d, sid in zip(by_script.tolist(), owners, settled_ids[by_script].tolist()):
            settled[d][codes[sid]] = settled[d].get(codes[sid], 0.0) + int(letters[row])
    plans = [(all_weights[firsts[d]:firsts[d + 1]], firsts[d], settled[d]) for d in range(len(bounds) - 1)]
    return model_rows[:n_rows], block_starts[:firsts[-1]], plans


def one_line_top(scores: LineScores, k: int = 3) -> list[tuple[str, float]]:
    """:func:`document_top` of a text of one line, straight from its scores.

    The same rules and the same figures (a block of one line is that line, and
    its weight is 1), without the arrays of evidence a page of lines needs: a
    sentence or a paragraph is judged in a handful of small steps.
    """
    counts = scores.scripts[0]
    letters = int(counts.sum())
    if letters <= 0:
        return []
    script, script_n = dominant_one(counts)
    table = script_langs()
    single = int(table.single_id[script])
    if single >= 0 and script_n >= SCRIPT_SHARE * letters:
        return [(table.codes[single], 1.0)]  # a one-language script settles it
    if scores.grams[0] <= 0:
        return []
    x = scores.loglik[0] / TEMPERATURE
    e = np.exp(x - x.max())
    dist = (e / e.sum()).tolist()
    langs = load_profiles().langs
    # (a stable sort, best first: ties in the order of the languages, as argsort's)
    top = sorted(range(len(dist)), key=dist.__getitem__, reverse=True)[:k]
    return sorted(((langs[j], dist[j]) for j in top), key=lambda kv: (-kv[1], kv[0]))


def line_lang_ids(ev: LineEvidence, doc_lang: str | None) -> np.ndarray:
    """The language of each line as an index into ``script_langs().codes``
    (``und`` for a line without letters).

    The rules, first that applies: no letters -> und; a one-language script
    (or a short line in one) -> that language; a long line with n-grams -> the
    n-grams' choice, nudged towards the document's language; a short line in a
    script of the document's language -> the document's language; a short line
    with n-grams -> their choice among the languages of its script; otherwise
    the first language listed for its script, or und.
    """
    return line_lang_ids_each(ev, np.full(ev.letters.size, code_id(doc_lang)))


def code_id(lang: str | None) -> int:
    """Index of ``lang`` in ``script_langs().codes``; that of ``und`` if it is none."""
    codes = script_langs().codes
    return codes.index(lang) if lang in codes else len(codes) - 1


@lru_cache(maxsize=1)
def _code_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per code: its column among the profile languages (-1 if none), and per
    (code, script) whether the language is written in that script."""
    table = script_langs()
    profile_langs = load_profiles().langs
    column = np.array([profile_langs.index(c) if c in profile_langs else -1 for c in table.codes])
    written = np.array([[code in langs for langs in table.langs] for code in table.codes], dtype=bool)
    return column, written


def line_lang_ids_each(ev: LineEvidence, doc_ids: np.ndarray) -> np.ndarray:
    """:func:`line_lang_ids` with each line's own document language, given as an
    index into ``script_langs().codes`` per line (``und``'s for none): the lines
    of a batch of documents judged at once."""
    table = script_langs()
    column, written = _code_tables()
    loglik = ev.loglik
    col = column[doc_ids]
    nudged = np.flatnonzero(col >= 0)
    if nudged.size:
        loglik = loglik.copy()
        loglik[nudged, col[nudged]] += LINE_PRIOR
    best = loglik.argmax(axis=1)
    # the best among the languages written in each line's own script
    in_script = np.where(table.model_mask[ev.script], loglik, -np.inf).argmax(axis=1)

    settled = ev.settled_by_script(short_too=True)
    has_grams = ev.grams > 0
    # the rules from last to first, each overriding those after it
    ids = np.where(has_grams & table.has_model[ev.script], in_script, table.first_id[ev.script])
    ids = np.where(written[doc_ids, ev.script], doc_ids, ids)
    ids = np.where((ev.letters >= LONG_LINE) & has_grams, best, ids)
    ids = np.where(settled >= 0, settled, ids)
    return np.where(ev.letters == 0, len(table.codes) - 1, ids)


def line_langs(ev: LineEvidence, doc_lang: str | None) -> list[str]:
    """The language of each line (``und`` for a line without letters)."""
    codes = np.array(script_langs().codes, dtype=object)
    return codes[line_lang_ids(ev, doc_lang)].tolist()


def line_codes(ev: LineEvidence, doc_ids: np.ndarray) -> list[str]:
    """:func:`line_lang_ids_each` as codes."""
    codes = np.array(script_langs().codes, dtype=object)
    return codes[line_lang_ids_each(ev, doc_ids)].tolist()
