# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The per-character steps of language scoring, as C loops.

:func:`.scorer.score_lines` finds the n-grams of a batch of lines with array
operations: :func:`.features.text_grams` packs every 1-, 2- and 3-gram into an
integer (three rows of shifts and masks, and the capital-word rule),
:meth:`.profiles.Profiles.rows` finds each in the profiles (a table look-up for
the characters, two gathers of the cuckoo table :mod:`.gramtable` for the
rest), and the known ones are picked out and counted per line with a
cumulative sum. Each step reads and writes three numbers per character.
:func:`gram_rows` does all of it in one pass, reading each character once.

Before that, :func:`.scorer.score_lines` counts each line's letters by
script and picks the characters to read (not the Latin letters of a line in
another script, not past a long line's cap, not a line remembered from an
earlier page): a dozen more passes over the text in numpy, two here
(:func:`line_scripts`, :func:`kept_codes`).

Each mirrors numpy steps that stay as the fallback (no C compiler at
install, or ``NORMALIZE_PURE_PYTHON=1``) and as the reference the tests
compare it with: the rows, and so the scores, must be equal to the last bit.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t

# .features and .profiles
cdef int BITS = 12
cdef int64_t SPACE_ID = 1
cdef uint32_t ID_MASK = (1 << 12) - 1, UPPER_BIT = 1 << 12
# .gramtable
cdef uint64_t MULT0 = 0x9E3779B97F4A7C15, MULT1 = 0xC2B2AE3D27D4EB4F
cdef int MIX = 29


cdef inline int32_t table_row(int64_t key, const int64_t[::1] entries, int bits, int shift,
                              int64_t mask) noexcept nogil:
    """:meth:`.gramtable.GramTable.get` of one key."""
    if key == 0:
        return 0
    cdef uint64_t u = <uint64_t>key
    cdef uint64_t mixed = u ^ (u >> MIX)
    cdef int64_t wanted = key << bits
    cdef int64_t found = entries[(mixed * MULT0) >> shift] ^ wanted
    cdef int64_t other = entries[(mixed * MULT1) >> shift] ^ wanted
    if other < found:
        found = other
    return <int32_t>found if found <= mask else 0


def gram_rows(const uint32_t[::1] codes, const int64_t[::1] breaks, const int32_t[::1] unigram_rows,
              const int64_t[::1] entries, int bits, int shift, int32_t[::1] rows, int32_t[::1] bounds):
    """The profile rows of the known n-grams of ``codes`` (:attr:`.profiles.Profiles.codes`
    of a text's characters), in text order, into ``rows``; returns their number.

    The order is that of ``text_grams(...)`` read position-major: for each
    position of the text padded with a space on both sides, the 1-, 2- and
    3-gram starting there. ``breaks``: the positions of the line breaks in
    ``codes``; ``bounds[i]`` is set to the first n-gram of line ``i`` (a line
    after the first opens at its line break) and ``bounds[-1]`` to the total.
    ``entries``, ``bits`` and ``shift`` are the 2- and 3-gram table's.
    """
    cdef Py_ssize_t n = codes.shape[0], n_breaks = breaks.shape[0], p, j = 0, count = 0
    cdef int64_t mask = (<int64_t>1 << bits) - 1
    cdef int64_t c0, c1, c2, k2, k3
    cdef bint up0, up1, up2, upm  # upper case: the characters at p, p + 1, p + 2, p - 1
    cdef int32_t row
    bounds[0] = 0
    with nogil:
        # the padded text: position p is character p - 1; positions 0 and n + 1 are spaces
        for p in range(n + 2):
            while j < n_breaks and breaks[j] + 1 == p:  # line j + 1 opens at padded position break + 1
                bounds[j + 1] = count
                j += 1
            c0 = SPACE_ID if p == 0 or p == n + 1 else codes[p - 1] & ID_MASK
            c1 = SPACE_ID if p + 1 == n + 1 else (codes[p] & ID_MASK if p < n else 0)
            c2 = SPACE_ID if p + 2 == n + 1 else (codes[p + 1] & ID_MASK if p + 1 < n else 0)
            upm = 2 <= p <= n + 1 and (codes[p - 2] & UPPER_BIT) != 0
            up0 = 1 <= p <= n and (codes[p - 1] & UPPER_BIT) != 0
            up1 = p < n and (codes[p] & UPPER_BIT) != 0
            up2 = p + 1 < n and (codes[p + 1] & UPPER_BIT) != 0
            # capital-word rule: no n-gram ending on a capital that follows a capital
            if not (up0 and upm):
                row = unigram_rows[c0]
                if row > 0:
                    rows[count] = row
                    count += 1
            if p <= n and not (up1 and up0):
                k2 = c0 | (c1 << BITS)
                row = table_row(k2, entries, bits, shift, mask)
                if row > 0:
                    rows[count] = row
                    count += 1
            if p < n and c1 != SPACE_ID and not (up2 and up1):
                k3 = c0 | (c1 << BITS) | (c2 << (2 * BITS))
                row = table_row(k3, entries, bits, shift, mask)
                if row > 0:
                    rows[count] = row
                    count += 1
        while j < n_breaks:
            bounds[j + 1] = count
            j += 1
        bounds[n_breaks + 1] = count
    return count


def line_scripts(const uint32_t[::1] cps, const uint32_t[::1] codes, int shift,
                 int64_t[:, ::1] scripts, int64_t[::1] breaks):
    """Count the characters of each line by script (``codes[i] >> shift``) into
    ``scripts`` (zeros, one row per line), and put the positions of the line
    breaks in ``breaks``; a line break counts in the line it opens. Returns
    the number of lines, or -1 if ``scripts`` has too few rows or columns."""
    cdef Py_ssize_t n = cps.shape[0], n_lines = scripts.shape[0], n_scripts = scripts.shape[1]
    cdef Py_ssize_t i, line = 0
    cdef uint32_t sid
    cdef bint bad = False
    with nogil:
        for i in range(n):
            if cps[i] == 10:
                if line + 1 >= n_lines:
                    bad = True
                    break
                breaks[line] = i
                line += 1
            sid = codes[i] >> shift
            if sid >= n_scripts:
                bad = True
                break
            scripts[line, sid] += 1
    return -1 if bad else line + 1


def kept_codes(const uint32_t[::1] cps, const uint32_t[::1] codes, const uint8_t[::1] drop,
               const int64_t[::1] caps, uint32_t[::1] out, int64_t[::1] breaks):
    """The ``codes`` of the characters the n-grams are read from, into ``out``;
    returns how many. Per line (empty arrays: none applies): ``drop`` leaves out
    the code points 'A'..'z' (langdetect's cleaning of a line in another
    script), ``caps`` the characters past the first ``caps[line]``. Line breaks
    are always kept: ``breaks`` gets where they are in ``out``."""
    cdef Py_ssize_t n = cps.shape[0], i, line = 0, start = 0, count = 0
    cdef bint has_drop = drop.shape[0] > 0, has_caps = caps.shape[0] > 0
    cdef uint32_t cp
    with nogil:
        for i in range(n):
            cp = cps[i]
            if cp == 10:
                line += 1
                start = i + 1
                out[count] = codes[i]
                breaks[line - 1] = count
                count += 1
                continue
            if has_drop and drop[line] and 0x41 <= cp <= 0x7A:
                continue
            if has_caps and i - start >= caps[line]:
                continue
            out[count] = codes[i]
            count += 1
    return count


def letter_blocks(const int64_t[::1] letters, const int64_t[::1] settled, const uint8_t[::1] modelled,
                  const int64_t[::1] bounds, int64_t block_letters, int64_t[::1] model_rows,
                  int64_t[::1] block_starts, double[::1] weights, int64_t[::1] first_blocks):
    """The blocks of :func:`.judge.documents_top`: document ``d`` owns rows
    ``bounds[d]`` to ``bounds[d + 1]``; its rows that no script settles and
    that have n-grams (``modelled``) go, in order, into ``model_rows``, pooled
    into blocks of at least ``block_letters`` letters, a short last block
    joining the one before. ``block_starts``: where each block starts in
    ``model_rows``; ``weights``: its letters; ``first_blocks[d]``: document
    ``d``'s first block (and ``first_blocks[-1]`` the number of blocks).
    Returns the number of model rows, or -1 if the arrays do not fit together."""
    cdef Py_ssize_t n_docs = bounds.shape[0] - 1, n = letters.shape[0], d, row
    cdef Py_ssize_t n_rows = 0, n_blocks = 0
    cdef int64_t filling
    if n_docs < 0 or settled.shape[0] != n or modelled.shape[0] != n or first_blocks.shape[0] != n_docs + 1:
        return -1
    if model_rows.shape[0] < n or block_starts.shape[0] < n or weights.shape[0] < n:
        return -1
    for d in range(n_docs):
        if bounds[d] < 0 or bounds[d] > bounds[d + 1] or bounds[d + 1] > n:
            return -1
    with nogil:
        for d in range(n_docs):
            first_blocks[d] = n_blocks
            filling = 0  # letters in the open block
            for row in range(bounds[d], bounds[d + 1]):
                if settled[row] >= 0 or not modelled[row]:
                    continue
                if filling == 0:
                    block_starts[n_blocks] = n_rows
                    weights[n_blocks] = 0.0
                    n_blocks += 1
                model_rows[n_rows] = row
                n_rows += 1
                weights[n_blocks - 1] += letters[row]
                filling += letters[row]
                if filling >= block_letters:
                    filling = 0
            if filling and n_blocks - first_blocks[d] > 1:  # a short tail joins the block before it
                n_blocks -= 1
                weights[n_blocks - 1] += weights[n_blocks]
        first_blocks[n_docs] = n_blocks
    return n_rows


def line_sums(const float[:, ::1] logp, const int32_t[::1] rows, const int32_t[::1] bounds, float[:, ::1] out):
    """Add up the ``logp`` rows of each line's n-grams into ``out`` (zeros, one
    row per line): line ``i`` owns ``rows[bounds[i]:bounds[i + 1]]``.

    What scipy's compressed-row product does in :func:`.scorer._line_sums`, and
    in the same order (each n-gram's row added in text order, one float at a
    time), so the sums are equal to the last bit; a row here is the width of a
    profile, which the compiler adds several floats at a time. Returns the
    number of lines, or -1 if the arrays do not fit together."""
    cdef Py_ssize_t n_lines = out.shape[0], width = out.shape[1], n_rows = logp.shape[0]
    cdef Py_ssize_t i, g
    if bounds.shape[0] != n_lines + 1 or logp.shape[1] != width:
        return -1
    if n_lines and (bounds[0] < 0 or bounds[n_lines] > rows.shape[0]):
        return -1
    for i in range(n_lines):
        if bounds[i] > bounds[i + 1]:
            return -1
    for g in range(rows.shape[0]):
        if rows[g] < 0 or rows[g] >= n_rows:
            return -1
    if n_lines:
        with nogil:
            add_rows(&logp[0, 0], width, &rows[0] if rows.shape[0] else NULL, &bounds[0], n_lines, &out[0, 0])
    return n_lines


# The loop of line_sums in C, so that it can be compiled twice: for any x86-64
# (SSE2: four floats at a time) and for AVX2 (eight), the one the processor
# can run picked when the module loads (GCC's target_clones, with glibc;
# elsewhere one plain build). Wider adds change no sum: each float of a line's
# row is still added n-gram by n-gram, in text order, only more floats at once.
# Rows of 56 floats, 2,000 lines of 300 random rows: 9.0 ms against 15.2 ms.
cdef extern from *:
    """
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
    #define NORMALIZE_CLONES __attribute__((target_clones("avx2", "default")))
    #else
    #define NORMALIZE_CLONES
    #endif
    /* n-grams ahead whose row is asked for while one is added: the rows are
       scattered over a table of tens of megabytes (6 to 12 did about as well) */
    #define NORMALIZE_PREFETCH 8

    NORMALIZE_CLONES
    static void add_rows(const float *logp, Py_ssize_t width, const int32_t *rows,
                         const int32_t *bounds, Py_ssize_t n_lines, float *out) {
        Py_ssize_t n_grams = bounds[n_lines];
        Py_ssize_t line_bytes = width * (Py_ssize_t)sizeof(float);
        for (Py_ssize_t i = 0; i < n_lines; i++) {
            float *dst = out + i * width;
            for (Py_ssize_t g = bounds[i]; g < bounds[i + 1]; g++) {
                Py_ssize_t ahead = g + NORMALIZE_PREFETCH;
                if (ahead < n_grams) {
                    const char *next = (const char *)(logp + (Py_ssize_t)rows[ahead] * width);
                    for (Py_ssize_t b = 0; b < line_bytes; b += 64)
                        __builtin_prefetch(next + b);
                }
                const float *src = logp + (Py_ssize_t)rows[g] * width;
                for (Py_ssize_t k = 0; k < width; k++)
                    dst[k] += src[k];
            }
        }
    }
    """
    void add_rows(const float* logp, Py_ssize_t width, const int32_t* rows, const int32_t* bounds,
                  Py_ssize_t n_lines, float* out) nogil
