"""A hash table from integer keys to rows, looked up for a whole array of keys at once.

A Python ``dict`` costs a string and a look-up per n-gram; a binary search over
88,000 sorted keys costs a cache miss per step. This table is a cuckoo hash:
one flat array of slots, a third full, and every key stored in one of TWO slots
given by two hash functions (when both are taken at insertion, the newcomer
evicts the occupant, which moves to its other slot, and so on). A look-up then
reads both candidate slots of every key - two gathers, two comparisons - so
the cost of a text is a handful of one-dimensional array operations, with no
probing loop and no short inner axis (numpy is slow at reducing rows of 4 or 8).

A slot holds its key and its value packed into one 64-bit integer (the key in
the high bits), so that a look-up fetches one memory word per candidate slot,
not two: the n-gram keys are small enough for that (see :mod:`.features`).

Key 0 is reserved for "empty slot" (and "no n-gram" in a text): it finds value 0.
"""
from __future__ import annotations

import numpy as np

# two multiplicative (Fibonacci-style) hashes of a key mixed by a shift:
# multiply, keep the top bits
_MULT = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))
_MIX = np.uint64(29)
MAX_KICKS = 500  # evictions per insertion before the table is rebuilt larger


class GramTable:
    def __init__(self, keys: np.ndarray, values: np.ndarray):
        keys = np.asarray(keys, dtype=np.int64)
        values = np.asarray(values, dtype=np.int64)
        if np.any(keys == 0):
            raise ValueError("key 0 is reserved")
        if keys.size and (keys.min() < 0 or values.min() < 0):
            raise ValueError("keys and values must not be negative")
        self._bits = max(1, int(values.max()).bit_length()) if values.size else 1
        if keys.size and int(keys.max()).bit_length() + self._bits > 63:
            raise ValueError("keys and values too wide to share a 64-bit slot")
        self._mask = np.int64((1 << self._bits) - 1)
        bits = max(4, int(np.ceil(np.log2(max(1, keys.size) * 3))))  # a third full
        while not self._build(keys, values, bits):
            bits += 1

    def state(self) -> dict[str, np.ndarray]:
        """What :meth:`from_state` needs to rebuild this table without building it."""
        return {"entries": self.entries, "bits": np.array([self._bits, int(self._shift)], dtype=np.int64)}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> "GramTable":
        table = cls.__new__(cls)
        bits, shift = (int(v) for v in state["bits"])
        if not 0 < shift < 64 or state["entries"].size != 1 << (64 - shift):
            raise ValueError("not a GramTable state")
        table._bits, table._shift = bits, np.uint64(shift)
        table._mask = np.int64((1 << bits) - 1)
        table.entries = np.asarray(state["entries"], dtype=np.int64)
        return table

    def _slots(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = keys.view(np.uint64)
        mixed = u ^ (u >> _MIX)  # packed code points: fold the high bits into the low
        first = mixed * _MULT[0]
        first >>= self._shift
        mixed *= _MULT[1]
        mixed >>= self._shift
        # below 2**bits after the shift: the same numbers as signed indices, no copy
        return first.view(np.int64), mixed.view(np.int64)

    def _build(self, keys: np.ndarray, values: np.ndarray, bits: int) -> bool:
        self._shift = np.uint64(64 - bits)
        first, second = (s.tolist() for s in self._slots(keys))
        slots = [-1] * (1 << bits)  # index of the key in each slot
        for i in range(keys.size):  # in key order: the same table every time
            j, pos = i, first[i]
            for _ in range(MAX_KICKS):
                j, slots[pos] = slots[pos], j
                if j < 0:
                    break
                pos = second[j] if pos == first[j] else first[j]
            else:
                return False  # a cycle: retry with twice the slots
        where = np.array(slots, dtype=np.int64)
        used = where >= 0
        self.entries = np.zeros(where.size, dtype=np.int64)
        self.entries[used] = (keys[where[used]] << self._bits) | values[where[used]]
        return True

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The value of each key; 0 for keys not in the table (and for key 0)."""
        keys = np.asarray(keys, dtype=np.int64)
        flat = keys.ravel()
        first, second = self._slots(flat)
        # XOR a slot with the key in its place: what is left is the value if the
        # slot holds the key, and 2**bits or more if it does not (a key bit
        # differs). A key is in one of its two slots at most, so the smaller of
        # the two is its value, unless both are too big: not in the table.
        wanted = flat << self._bits
        found = np.take(self.entries, first)
        found ^= wanted
        other = np.take(self.entries, second)
        other ^= wanted
        np.minimum(found, other, out=found)
        found *= found <= self._mask
        return found.reshape(keys.shape)
