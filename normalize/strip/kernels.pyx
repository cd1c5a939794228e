# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""C loop for the corpus-level step of stripping: which documents tell one story.

Two documents of a site are one story when they share enough prose lines
(:func:`.corpus._same_story`). Counting the lines every two documents share is
the costly part: each line carried by k documents makes k(k-1)/2 pairs, some
five million at 10,000 news pages. numpy can only count pairs by sorting them
all (:func:`.corpus._linked_pairs`, in chunks), which took nine tenths of the
step. Here each document's partners are counted in a plain array, one slot per
document, the way a sparse matrix product accumulates a row: no sort, and only
the slots a document touched are read back and cleared.

:func:`linked_pairs` mirrors :func:`.corpus._linked_pairs`, which stays in the
package as the fallback (no C compiler at install, or ``NORMALIZE_PURE_PYTHON=1``)
and as the reference: the tests compare the two, and they must give the same
pairs.
"""
from libc.stdint cimport int64_t

import numpy as np


def linked_pairs(const int64_t[::1] doc, const int64_t[::1] rows, const int64_t[::1] partners,
                 const int64_t[::1] row_ptr, const int64_t[::1] lens, double same_story,
                 int64_t start, int64_t[::1] out_a, int64_t[::1] out_b):
    """The linked pairs (a, b) for the documents a from ``start`` on.

    ``doc`` is the document of each row of the lines sorted by (site, line,
    document); ``rows[row_ptr[a]:row_ptr[a + 1]]`` are the rows of document a
    whose line links documents, and ``partners[row_ptr[a]:row_ptr[a + 1]]``
    how many rows follow each of them in its line's group (the later documents
    carrying the line). A pair
    is linked when the lines it shares reach ``same_story`` of the smaller
    document's ``lens`` (its prose lines), and two unless that is one.

    Writes the pairs to ``out_a``, ``out_b`` (which hold at least as many as
    there are documents) and returns (the next document, the number written):
    the next document is ``len(lens)`` once all are done, and before that the
    first one whose pairs did not fit, for a call with fresh arrays.
    """
    cdef int64_t n_docs = lens.shape[0], room = out_a.shape[0], written = 0
    cdef int64_t a = start, b, k, i, j, r, end, n_touched, shared, smaller
    count_array = np.zeros(n_docs, dtype=np.int64)
    touched_array = np.empty(n_docs, dtype=np.int64)
    cdef int64_t[::1] count = count_array
    cdef int64_t[::1] touched = touched_array
    with nogil:
        while a < n_docs:
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
            if written + n_touched > room:  # (none of them written: the next call counts them again)
                for i in range(n_touched):
                    count[touched[i]] = 0
                break
            for i in range(n_touched):
                b = touched[i]
                shared = count[b]
                count[b] = 0
                smaller = lens[a] if lens[a] < lens[b] else lens[b]
                if shared >= same_story * smaller and (shared >= 2 or smaller == 1):
                    out_a[written] = a
                    out_b[written] = b
                    written += 1
            a += 1
    return a, written
