# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""C loop for the corpus-level step of stripping: which documents tell one story.

Two documents of a site are one story when they share enough prose lines
(:func:`.corpus._same_story`). Counting the lines every two documents share is
the costly part: each line carried by k documents makes k(k-1)/2 pairs, 4.5
million of them in the 10,000 generated pages of the benchmarks. numpy can
only count pairs by sorting them all (:func:`.corpus._linked_pairs`, in
chunks): 0.28 s of the 0.39 s the whole corpus-level step took there, while
both workers waited. Here each document's partners are counted in a plain
array, one slot per document, the way a sparse matrix product accumulates a
row: no sort, and only the slots a document touched are read back and cleared.
The pairs that qualify are joined into stories as they are found, so none is
kept. :func:`stories` mirrors :func:`.corpus._stories` (the pairs counted by
numpy, the stories found by scipy's graph code), which stays in the package as
the fallback (no C compiler at install, or ``NORMALIZE_PURE_PYTHON=1``) and as
the reference: the tests compare the two, and they must give the same stories.
"""
from libc.stdint cimport int64_t

import numpy as np


cdef inline int64_t root(int64_t[::1] parent, int64_t x) noexcept nogil:
    while parent[x] != x:
        parent[x] = parent[parent[x]]  # (halving the path as it goes)
        x = parent[x]
    return x


def stories(const int64_t[::1] doc, const int64_t[::1] rows, const int64_t[::1] partners,
            const int64_t[::1] row_ptr, const int64_t[::1] lens, double same_story):
    """Per document, the lowest document linked to it, directly or through others.

    ``doc`` is the document of each row of the lines sorted by (site, line,
    document); ``rows[row_ptr[a]:row_ptr[a + 1]]`` are the rows of document a
    whose line links documents, and ``partners[row_ptr[a]:row_ptr[a + 1]]``
    how many rows follow each of them in its line's group (the later documents
    carrying the line). A pair is linked when the lines it shares reach
    ``same_story`` of the smaller document's ``lens`` (its prose lines), and
    two unless that is one.

    The linked pairs join sets of documents as they are found (union-find),
    each set led by its lowest document, so no pair is kept.
    """
    cdef int64_t n_docs = lens.shape[0]
    cdef int64_t a, b, k, i, j, r, end, n_touched, shared, smaller, ra, rb
    count_array = np.zeros(n_docs, dtype=np.int64)
    touched_array = np.empty(n_docs, dtype=np.int64)
    parent_array = np.arange(n_docs, dtype=np.int64)
    cdef int64_t[::1] count = count_array
    cdef int64_t[::1] touched = touched_array
    cdef int64_t[::1] parent = parent_array
    with nogil:
        for a in range(n_docs):
            n_touched = 0
            for k in range(row_ptr[a], row_ptr[a + 1]):
                r = rows[k]
                end = r + 1 + partners[k]
                for j in range(r + 1, end):
                    b = doc[j]
                    if count[b] == 0:
                        touched[n_touched] = b
                        n_touched += 1
                    count[b] += 1
            for i in range(n_touched):
                b = touched[i]
                shared = count[b]
                count[b] = 0
                smaller = lens[a] if lens[a] < lens[b] else lens[b]
                if shared >= same_story * smaller and (shared >= 2 or smaller == 1):
                    ra, rb = root(parent, a), root(parent, b)
                    if ra < rb:
                        parent[rb] = ra
                    elif rb < ra:
                        parent[ra] = rb
        for a in range(n_docs):
            parent[a] = root(parent, a)
    return parent_array
