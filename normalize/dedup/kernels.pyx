# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""C loops for the per-character steps of deduplication.

A key (:mod:`.key`) and its words (:mod:`.shingles`) are made in numpy as a
dozen whole-array passes over the code points of a batch: a table look-up,
masks for separators and digits, runs found with ``diff`` and collapsed with
``reduceat``, a prefix sum for the word hashes. Each pass is fast, but each
reads and writes the whole batch again, and together they cost about a fifth
of a millisecond for a 6 KB page: as much as the MinHash signature and the
shingle set of the same page together. Here the same steps are one loop over
the characters, each character read once.

Every function mirrors a numpy function that stays in the package as the
fallback (no C compiler at install, or ``NORMALIZE_PURE_PYTHON=1``) and as the
reference: the tests compare the two on the seeds and on generated text, and
the results must be equal to the last bit.

* :func:`fold_key` does :func:`.key.batch_keys` after the texts are joined and
  encoded;
* :func:`word_items` does :func:`.shingles._word_items`;
* :func:`script_counts` counts what :func:`.shingles.unspaced_docs` decides on;
* :func:`oph_bins` fills the bins of :func:`.minhash.oph_batch` (no sort:
  each hash goes straight to its bin, and each document's distinct (bin,
  value) pairs are counted in a small open-addressing table), and
  :func:`oph_densify` fills the empty bins as :func:`.minhash._densify` does;
* :func:`intersection_sizes` does :func:`.verify.overlaps` (no per-character
  loop, but the same kind: a pass over two sorted arrays, which numpy can only
  do as a binary search per value), and :func:`intersection_sizes_reaching`
  :func:`.verify.overlaps_reaching`;
* :func:`bucket_bounds` does :func:`.bound.bucket_bounds`: a pass over two rows of
  counts, which numpy does as a gather, a minimum and a sum, each a pass of its own;
* :func:`carried_lines` does :func:`.verify.line_share` of the values two sets
  share and :func:`.verify.same_headline`'s overlap of their first lines, in
  one merge where numpy makes a dozen small arrays;
* :func:`band_neighbours` does :meth:`.neighbours.BandNeighbours.of` but the
  final sort: numpy gathers a node's places in every band and sorts them all
  to drop the repeats (a node's copies are its neighbours in most bands); C
  marks each row as it meets it.
"""
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free

# character classes of .key (separators sort first)
cdef enum:
    SEP = 0
    NEWLINE = 1
    WORD = 2
    DIGIT = 3
    EXPAND = 4

cdef int64_t NO_BOUND = 0x7FFFFFFFFFFFFFFF  # .bound.NO_BOUND
cdef uint32_t SPACE = 32, NL = 10, ZERO = 48, BMP = 0x10000


cdef struct Folder:
    # the state of the key being written (see fold_key)
    uint32_t *out
    int64_t total      # points written
    int64_t run_first  # where the current run of separators was written (-1: dropped)
    bint prev_sep
    bint prev_digit
    bint at_start      # nothing read yet: a leading run of separators is dropped


cdef inline void emit(Folder *k, uint32_t point, int klass) noexcept nogil:
    """One folded character of the stream: words are written, a run of digits
    becomes one "0", a run of separators one space, or one newline if the run
    holds a line break (the newline may come late in the run: then the space
    written for it is overwritten)."""
    if klass < WORD:
        if k.prev_sep:
            if klass == NEWLINE and k.run_first >= 0:
                k.out[k.run_first] = NL
        elif k.at_start:
            k.run_first = -1
        else:
            k.out[k.total] = NL if klass == NEWLINE else SPACE
            k.run_first = k.total
            k.total += 1
        k.prev_sep = True
        k.prev_digit = False
    elif klass == DIGIT:
        if not k.prev_digit:
            k.out[k.total] = ZERO
            k.total += 1
        k.prev_digit = True
        k.prev_sep = False
    else:
        k.out[k.total] = point
        k.total += 1
        k.prev_digit = False
        k.prev_sep = False
    k.at_start = False


def fold_key(const uint32_t[::1] cps, const uint32_t[::1] table, const uint32_t[:, ::1] expansions,
             const int64_t[::1] expansion_len, const int64_t[::1] joins,
             uint32_t[::1] out, int64_t[::1] kept_through):
    """Fold the code points ``cps`` of a batch (texts joined by line breaks) into
    ``out``, as :func:`.key.batch_keys` does, and return how many points were
    written (trailing separator included), or -1 if ``out`` is too small.

    ``table``, ``expansions`` and ``expansion_len`` are :func:`.key.tables`;
    ``joins`` the (increasing) positions in ``cps`` of the line breaks that join
    the texts. ``kept_through[j]`` is set to the number of points written up to
    and including ``joins[j]``: the next text's key starts there.
    """
    cdef Py_ssize_t n = cps.shape[0], n_joins = joins.shape[0], capacity = out.shape[0]
    cdef Py_ssize_t i, j = 0, e, length
    cdef uint32_t cp, v, point, row
    cdef int klass
    cdef Folder k
    cdef bint full = False
    k.out = &out[0] if capacity else NULL
    k.total = 0
    k.run_first = -1
    k.prev_sep = False
    k.prev_digit = False
    k.at_start = True
    with nogil:
        for i in range(n):
            if k.total + 4 > capacity:  # an expansion writes up to four points
                full = True
                break
            cp = cps[i]
            if cp >= BMP:  # identity; emoji and tags are separators, the rest letters
                klass = SEP if (0x1F000 <= cp < 0x1FB00) or (0xE0000 <= cp < 0xE0080) else WORD
                emit(&k, cp, klass)
            else:
                v = table[cp]
                klass = v >> 24
                if klass == EXPAND:
                    row = v & 0xFFFFFF
                    length = expansion_len[row]
                    for e in range(length):
                        point = expansions[row, e]
                        v = table[point]
                        emit(&k, v & 0xFFFFFF, v >> 24)
                else:
                    emit(&k, v & 0xFFFFFF, klass)
            if j < n_joins and joins[j] == i:
                kept_through[j] = k.total
                j += 1
    return -1 if full else k.total


cdef uint64_t P = 0x100000001B3  # .shingles._P
cdef uint64_t M1 = 0xFF51AFD7ED558CCD, M2 = 0xC4CEB9FE1A85EC53


cdef inline uint64_t fmix64(uint64_t h) noexcept nogil:
    h ^= h >> 33
    h *= M1
    h ^= h >> 33
    h *= M2
    return h ^ (h >> 33)


def word_items(const uint32_t[::1] points, const int64_t[::1] doc_starts, uint64_t seed,
               uint64_t[::1] words, int64_t[::1] lines, int64_t[::1] owners):
    """The words of a key batch, as :func:`.shingles._word_items` finds them:
    per word its hash ``fmix64((sum c_k * P**k + length) ^ seed)`` (mod 2**64),
    the number of line breaks before it in the batch, and its document (the last
    of ``doc_starts`` at or before it). Returns the number of words."""
    cdef Py_ssize_t n = points.shape[0], n_docs = doc_starts.shape[0]
    cdef Py_ssize_t i = 0, start, count = 0, doc = -1
    cdef int64_t line = 0
    cdef uint64_t h, power
    cdef uint32_t c
    with nogil:
        while i < n:
            c = points[i]
            if c == SPACE or c == NL:
                line += c == NL
                i += 1
                continue
            start = i
            h = 0
            power = 1
            while i < n and points[i] != SPACE and points[i] != NL:
                h += points[i] * power
                power *= P
                i += 1
            while doc + 1 < n_docs and doc_starts[doc + 1] <= start:
                doc += 1
            words[count] = fmix64((h + <uint64_t>(i - start)) ^ seed)
            lines[count] = line
            owners[count] = doc
            count += 1
    return count


cdef int64_t merge_count(const uint32_t[::1] mine, const uint32_t[::1] other, int64_t need) noexcept nogil:
    """How many values the two sorted arrays of distinct uint32 share; -1 as
    soon as the values left cannot bring the count up to ``need`` (0: never).
    A merge, without branches to mispredict: the sets are a few thousand
    values, and most pairs share few of them, so no faster search pays off."""
    cdef Py_ssize_t i = 0, j = 0, n = mine.shape[0], m = other.shape[0]
    cdef int64_t count = 0
    cdef uint32_t a, b
    # the most still to be found is what is left of the shorter remainder
    while i < n and j < m and count + n - i >= need and count + m - j >= need:
        a = mine[i]
        b = other[j]
        count += a == b
        i += a <= b
        j += b <= a
    return count if count >= need else -1


def intersection_sizes(const uint32_t[::1] mine, list others, int64_t[::1] out):
    """``out[k]``: how many values ``mine`` and ``others[k]`` share, all of them
    sorted arrays of distinct uint32 (:func:`.verify.overlaps`)."""
    cdef Py_ssize_t k
    cdef const uint32_t[::1] other
    for k in range(len(others)):
        other = others[k]
        with nogil:
            out[k] = merge_count(mine, other, 0)


def intersection_sizes_reaching(const uint32_t[::1] mine, list others, double threshold, double containment,
                                int64_t min_containment, int64_t[::1] out):
    """:func:`intersection_sizes`, but a merge stops as soon as the values left
    cannot bring the count up to what a copy needs (:func:`.verify.least_overlap`,
    worked out here the same way): ``out[k]`` is then -1. Most candidate
    pairs share few values, and early in the merge the count is out of reach."""
    cdef Py_ssize_t k, n = mine.shape[0], m, small, big
    cdef int64_t need
    cdef double least
    cdef const uint32_t[::1] other
    for k in range(len(others)):
        other = others[k]
        m = other.shape[0]
        small, big = (n, m) if n <= m else (m, n)
        least = threshold * (small + big) / (1 + threshold)
        if small >= min_containment and containment * small < least:
            least = containment * small
        need = <int64_t>least - 1
        if need < 0:
            need = 0
        with nogil:
            out[k] = merge_count(mine, other, need)


def bucket_bounds(const uint8_t[:, ::1] counts, Py_ssize_t row, const int64_t[::1] rows, int64_t[::1] out):
    """``out[k]``: the sum over the buckets of the smaller of the counts of
    ``counts[row]`` and ``counts[rows[k]]``, two 4-bit counts a byte
    (:func:`.bound.bucket_bounds`); ``NO_BOUND`` where ``rows[k]`` is -1 or both
    rows are full (15) in some bucket."""
    cdef Py_ssize_t k, b, width = counts.shape[1]
    cdef const uint8_t *mine
    cdef const uint8_t *other
    cdef uint32_t total
    cdef uint8_t lo, hi, full
    with nogil:
        mine = &counts[row, 0]
        for k in range(rows.shape[0]):
            if rows[k] < 0:
                out[k] = NO_BOUND
                continue
            other = &counts[rows[k], 0]
            total = 0
            full = 0
            for b in range(width):  # (a loop the compiler turns into vector instructions)
                lo = mine[b] & 15 if (mine[b] & 15) < (other[b] & 15) else other[b] & 15
                hi = mine[b] >> 4 if (mine[b] >> 4) < (other[b] >> 4) else other[b] >> 4
                total += lo + hi
                full |= (lo == 15) | (hi == 15)
            out[k] = NO_BOUND if full else total


def carried_lines(const uint32_t[::1] small, const int32_t[::1] small_lines,
                  const uint32_t[::1] big, const int32_t[::1] big_lines):
    """What :func:`.verify.is_partial_copy` asks of two sets sorted by value
    (distinct uint32) and the line of each value: (the lines of ``big``
    carried by ``small``, ``big``'s lines with values, the values on the first
    line (0) of ``small``, of ``big``, and on both). A line is carried when at
    least half of its values are in ``small`` (:func:`.verify.line_share`).
    ``small_lines`` may be empty: ``small`` has no layout, and no value is on
    its first line. Raises ValueError if a line number of ``big`` is negative."""
    cdef Py_ssize_t i = 0, j = 0, n = small.shape[0], m = big.shape[0], k
    cdef int32_t top = -1
    cdef int64_t carried = 0, counted = 0, head_small = 0, head_big = 0, head_both = 0
    cdef int64_t *total
    cdef int64_t *hits
    cdef uint32_t a, b
    cdef bint laid = small_lines.shape[0] == n  # (no lines for small: none on its first line)
    if not laid and small_lines.shape[0] != 0 or big_lines.shape[0] != m:
        raise ValueError("a set and its lines differ in length")
    for k in range(m):
        if big_lines[k] < 0:
            raise ValueError("negative line number")
        if big_lines[k] > top:
            top = big_lines[k]
    total = <int64_t *>calloc(2 * (top + 1) + 1, sizeof(int64_t))
    if total == NULL:
        raise MemoryError()
    hits = total + top + 1
    with nogil:
        if laid:
            for k in range(n):
                head_small += small_lines[k] == 0
        for k in range(m):
            total[big_lines[k]] += 1
            head_big += big_lines[k] == 0
        while i < n and j < m:
            a = small[i]
            b = big[j]
            if a == b:
                hits[big_lines[j]] += 1
                if laid:
                    head_both += (small_lines[i] == 0) & (big_lines[j] == 0)
            i += a <= b
            j += b <= a
        for k in range(top + 1):
            if total[k]:
                counted += 1
                carried += 2 * hits[k] >= total[k]
    free(total)
    return carried, counted, head_small, head_big, head_both


def band_neighbours(const int32_t[:, ::1] order, const int32_t[:, ::1] at, const int32_t[:, ::1] start,
                    const int32_t[:, ::1] end, Py_ssize_t row, Py_ssize_t reach, uint8_t[::1] seen,
                    int64_t[::1] out):
    """The rows within ``reach`` places of ``row`` in its bucket of each band
    (``order``, ``at``, ``start``, ``end`` as :class:`.neighbours.BandNeighbours`
    keeps them), each once, ``row`` itself left out, in the order met: written
    to ``out``, their number returned. ``seen`` (a flag per row, all 0) is
    used to drop repeats and left all 0 again."""
    cdef Py_ssize_t b, p, lo, hi, here, k = 0, n = order.shape[1]
    cdef int32_t r
    if at.shape[0] != order.shape[0] or at.shape[1] != n or start.shape[0] != order.shape[0] \
            or end.shape[0] != order.shape[0] or seen.shape[0] < n or not 0 <= row < n:
        raise ValueError("bands out of step")
    if out.shape[0] < order.shape[0] * (2 * reach + 1):
        raise ValueError("no room for the neighbours")
    with nogil:
        for b in range(order.shape[0]):
            here = at[b, row]
            lo = start[b, here] if start[b, here] > here - reach else here - reach
            hi = end[b, here] if end[b, here] < here + reach + 1 else here + reach + 1
            if hi - lo < 2:
                continue
            for p in range(lo, hi):
                r = order[b, p]
                if r != row and not seen[r]:
                    seen[r] = 1
                    out[k] = r
                    k += 1
        for p in range(k):
            seen[out[p]] = 0
    return k


def script_counts(const uint32_t[::1] points, const int64_t[::1] doc_starts, const int16_t[::1] table,
                  int64_t[:, ::1] counts, int64_t[::1] low_counts):
    """Per document of a key batch, its letters by script class, as
    :func:`.shingles.unspaced_docs` counts them: a point from U+0E00 up adds
    to ``counts[doc, table[point]]`` (points past the BMP read as U+FFFF), one
    below it to ``low_counts[doc]`` unless it is a space or a line break.
    Document ``d`` is the points from ``doc_starts[d]`` to the next start (the
    first starts at 0). A loop per document, the points below U+0E00 counted in
    a local total: a loop over the batch that looked for the document of each
    point and added to its count in memory took 17.3 us a document of the 10k
    benchmark corpus, this 5.1."""
    cdef Py_ssize_t n = points.shape[0], n_docs = doc_starts.shape[0], i, doc, end
    cdef uint32_t p
    cdef int64_t low
    with nogil:
        for doc in range(n_docs):
            end = doc_starts[doc + 1] if doc + 1 < n_docs else n
            low = 0
            for i in range(doc_starts[doc], end):
                p = points[i]
                if p >= 0x0E00:
                    counts[doc, table[p if p < 0xFFFF else 0xFFFF]] += 1
                else:
                    low += (p != SPACE) & (p != NL)
            low_counts[doc] += low


def oph_bins(const uint64_t[::1] hashes, const int64_t[::1] owner, const int64_t[::1] doc_starts, uint64_t mix,
             uint64_t num_perm, uint32_t[:, ::1] sig, uint8_t[:, ::1] filled, int64_t[::1] counts,
             uint64_t[::1] table, int64_t[::1] stamp):
    """The one-permutation bins of :func:`.minhash.oph_batch`: hash ``i`` of
    document ``d`` (``doc_starts[d] <= i < doc_starts[d + 1]``), permuted as
    ``h = hashes[i] ^ mix``, falls in bin ``((h >> 32) * num_perm) >> 32`` with
    the value ``h & 0xFFFFFFFF``; ``sig[d, bin]`` keeps the least value and
    ``filled[d, bin]`` says one fell there. ``counts[d]``: the distinct (bin,
    value) pairs of document ``d`` (as numpy counts its shingles: two hashes
    that differ only in the bits the bin does not use count once), found in
    ``table``, whose size (a power of two) is at least twice the largest
    document's; ``stamp`` (as long, all below zero) marks the slots the
    current document has used, so it is never cleared.

    ``doc_starts`` are where each document's run of ``owner`` starts; if a
    hash's owner is not the document of its run (the hashes were not in
    document order), returns False at once, the outputs half filled."""
    cdef Py_ssize_t n_docs = doc_starts.shape[0] - 1, d, i, slot
    cdef Py_ssize_t mask = table.shape[0] - 1
    cdef uint64_t h, raw, b, key
    cdef uint32_t v
    cdef int64_t distinct
    cdef bint in_order = True
    with nogil:
        for d in range(n_docs):
            distinct = 0
            for i in range(doc_starts[d], doc_starts[d + 1]):
                if owner[i] != d:
                    in_order = False
                    break
                raw = hashes[i]
                h = raw ^ mix
                b = ((h >> 32) * num_perm) >> 32
                v = <uint32_t>h  # (the low 32 bits)
                if not filled[d, b] or v < sig[d, b]:
                    sig[d, b] = v
                    filled[d, b] = 1
                key = (b << 32) | v  # what numpy's sort tells apart
                slot = <Py_ssize_t>(fmix64(key) & <uint64_t>mask)
                while stamp[slot] == d and table[slot] != key:
                    slot = (slot + 1) & mask
                if stamp[slot] != d:
                    stamp[slot] = d
                    table[slot] = key
                    distinct += 1
            if not in_order:
                break
            counts[d] = distinct
    return in_order


def oph_densify(uint32_t[:, ::1] sig, const uint8_t[:, ::1] filled, const int64_t[:, ::1] probes):
    """:func:`.minhash._densify` of every document with some bins filled and
    some empty, in place: an empty bin takes the value of the first filled bin
    among its ``probes``, or else of the next filled bin to its right, wrapping
    around. (Values are read from filled bins only, so the order of filling
    does not matter.)"""
    cdef Py_ssize_t n_docs = sig.shape[0], width = sig.shape[1], n_probes = probes.shape[1]
    cdef Py_ssize_t d, e, k, src, count
    with nogil:
        for d in range(n_docs):
            count = 0
            for e in range(width):
                count += filled[d, e]
            if count == 0 or count == width:
                continue
            for e in range(width):
                if filled[d, e]:
                    continue
                src = -1
                for k in range(n_probes):
                    if filled[d, probes[e, k]]:
                        src = probes[e, k]
                        break
                if src < 0:
                    src = (e + 1) % width
                    while not filled[d, src]:
                        src = (src + 1) % width
                sig[d, e] = sig[d, src]
