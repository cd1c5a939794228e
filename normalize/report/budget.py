"""Fit the embedded data into a file size a browser opens comfortably.

A news text runs to a few thousand characters; 100,000 of them are hundreds of
megabytes. The page keeps the whole run but not every text in full:

* every text is cut to ``max_chars`` (2,000 by default) and the page says so
  where it shows a cut text;
* past ``compress_above_bytes`` the data is gzipped and base64-encoded, in
  parts (everything but the texts, then the texts in :data:`TEXT_PARTS` parts,
  deflated side by side), and the page inflates it with the browser's own
  DecompressionStream. Texts are stored cluster by cluster with the kept copy
  first, so a near-duplicate sits inside gzip's 32 kB window next to its kept
  copy and costs little more than its differences;
* if that is still over ``target_bytes``, the caps shrink: singletons first
  (down to ``min_chars``, enough for a preview), then cluster members, whose
  texts are the ones compared side by side.

Choosing the caps compresses a fixed sample of the texts for each candidate
cap (cheap) instead of the whole table (seconds at this scale); the final
encoding is measured exactly and the caps shrink again if it is still over.
"""
from __future__ import annotations

import base64
import gzip
import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from typing import Iterator

import orjson

from ..write.outputs import float_written_alike
from .embed import TextTable, cut, script_json

GZIP_LEVEL = 5  # level 6 costs 2.5x the time on near-duplicate text for 5% less
SAMPLE_TEXTS = 1200


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


def _json_data(value) -> bytes:
    """``_json(value)`` for the page's data, by orjson where it writes the same
    bytes (the data of 100,839 documents, 32 MB of JSON, in 1.1 s against
    3.2 s: 0.24 s of it orjson's, the rest the look at every value that tells
    whether it may). That is, where every float is written alike by both
    (orjson writes 1e16 and 1e-5 where json writes 1e+16 and 1e-05; both write
    0.98), every dict key is a string or an integer (both write the integer 5
    as "5"), and orjson takes every value (it refuses integers past 64 bits and
    lone surrogates): anything else goes the long way."""
    if _written_alike(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
        except (orjson.JSONEncodeError, TypeError):
            pass
    return _json(value)


_SCALARS = frozenset((str, int, bool, type(None)))
_PLAIN = _SCALARS | {float}
_KEYS = frozenset((str, int))
_LISTS = frozenset((list, tuple))


def _written_alike(value) -> bool:
    """Whether json and orjson write ``value`` alike, but for the values orjson
    refuses (see :func:`_json_data`). The page's data is a few columns of a
    hundred thousand entries, many of them lists: the types of a list's items
    are taken in C, its floats by their distinct values, and the lists within a
    list are looked at as one list of all their items (the data of 100,839
    documents in 0.7 s; looked at with a call for each inner list, 0.8 s)."""
    pending = [value]
    while pending:
        items = pending.pop()
        kind = type(items)
        if kind is dict:
            if not _KEYS.issuperset(map(type, items)):
                return False
            items = list(items.values())
            if not set(map(type, items)) <= _PLAIN:  # (a dict of columns: each on its own)
                pending.extend(items)
                continue
        elif kind is not list and kind is not tuple:
            if kind is float:
                if not float_written_alike(items):
                    return False
            elif kind not in _SCALARS:
                return False
            continue
        kinds = set(map(type, items))
        if kinds <= _PLAIN:
            if float in kinds and not _floats_alike(set(items)):
                return False
            continue
        if kinds <= _LISTS:
            lists = items
        else:  # (lists beside plain values: looked at apart)
            plain = [x for x in items if type(x) in _PLAIN]
            if not set(map(type, plain)) | _LISTS | {dict} >= kinds:
                return False
            if float in kinds and not _floats_alike(set(plain)):
                return False
            pending.extend(x for x in items if type(x) is dict)
            lists = [x for x in items if type(x) in _LISTS]
        # (their items' types first, without a list of them all: mostly plain)
        if not set(map(type, chain.from_iterable(lists))) <= _SCALARS:
            pending.append(list(chain.from_iterable(lists)))
    return True


def _floats_alike(values: set) -> bool:
    """:func:`~normalize.write.outputs.float_written_alike` of every float among
    ``values`` (distinct values: of rounded figures, a few hundred in all)."""
    sizes = sorted(abs(x) for x in values if type(x) is float)
    if not all(size == size for size in sizes):  # (NaN)
        return False
    nonzero = [size for size in sizes if size]
    return not nonzero or (nonzero[0] >= 1e-4 and nonzero[-1] < 1e16)



def _json_text(text: str) -> bytes:
    """``_json(text)`` for one string, in a third of the time (orjson writes the
    same bytes for any string json can encode as UTF-8)."""
    try:
        return orjson.dumps(text)
    except orjson.JSONEncodeError:  # a lone surrogate: json writes it, and "replace" makes it "?"
        return _json(text)


def _packed_size(raw: bytes) -> int:
    """Bytes of base64(gzip(raw))."""
    return (len(gzip.compress(raw, GZIP_LEVEL, mtime=0)) + 2) // 3 * 4


def _b64gzip(raw: bytes) -> str:
    # mtime=0: the same input gives the same bytes.
    return base64.b64encode(gzip.compress(raw, GZIP_LEVEL, mtime=0)).decode("ascii")


def _cut(table: TextTable, caps: tuple[int, int], part: range | None = None) -> Iterator[tuple[str, int]]:
    """(each text cut to caps = (member cap, singleton cap), its full length if cut or 0),
    of the texts in ``part`` (all of them if None)."""
    for i in range(len(table)) if part is None else part:
        short = cut(table.text(i), caps[0] if i < table.members else caps[1])
        full = table.length(i)
        yield short, full if len(short) < full else 0


def cut_texts(table: TextTable, caps: tuple[int, int]) -> tuple[list[str], list[int]]:
    """(texts cut to caps, full length of each cut text or 0): for a run small enough to embed plain."""
    texts, lengths = [], []
    for short, full in _cut(table, caps):
        texts.append(short)
        lengths.append(full)
    return texts, lengths


def _plain_size(table: TextTable, cap: int, limit: int) -> int:
    """Bytes of the texts and their lengths as plain JSON, counted no further than past ``limit``."""
    size = 4  # the two lists' brackets
    for short, full in _cut(table, (cap, cap)):
        size += len(_json_text(short)) + len(str(full)) + 2  # two commas, one too many at each end
        if size > limit:
            break
    return size - 2 * (len(table) > 0)


# The texts are packed in this many parts, one after another in the page's
# table, each deflated on a thread of its own: deflating is most of the time a
# large page takes (10,000 news texts: 1.06 s deflating, 0.18 s reading, cutting
# and encoding them), and zlib lets go of the interpreter's lock while it
# deflates, so on two cores the parts are deflated side by side (0.81-0.99 s
# against 1.25-1.28 s in one part). A fixed number, not one per core: the page's
# bytes must not depend on the machine that made it.
TEXT_PARTS = 2


def packed_texts(table: TextTable, caps: tuple[int, int]) -> tuple[list[str], int]:
    """([base64(gzip(JSON {"T": texts, "TL": lengths})) of each part], texts cut),
    the texts streamed through: :data:`TEXT_PARTS` parts of consecutive texts,
    whose tables the page joins in order. Each part starts a compressor of its
    own (a part's first texts cannot refer back to the part before it): a few
    kilobytes more for the page."""
    bounds = [len(table) * k // TEXT_PARTS for k in range(TEXT_PARTS + 1)]
    parts = [range(a, b) for a, b in zip(bounds, bounds[1:])]
    with ThreadPoolExecutor(TEXT_PARTS, thread_name_prefix="normalize-deflate") as deflating:
        packed = list(deflating.map(lambda part: _packed_part(table, caps, part), parts))
    return [text for text, _ in packed], sum(cut for _, cut in packed)


def _packed_part(table: TextTable, caps: tuple[int, int], part: range) -> tuple[str, int]:
    """:func:`packed_texts` of one part: (its base64(gzip(JSON)), its texts cut)."""
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # what gzip.compress(mtime=0) does
    packed, pending, lengths = [], [b'{"T":['], []
    for i, (short, full) in enumerate(_cut(table, caps, part)):
        pending.append(b"," + _json_text(short) if i else _json_text(short))
        lengths.append(full)
        if len(pending) >= 256:
            packed.append(packer.compress(b"".join(pending)))
            pending.clear()
    pending += [b'],"TL":', _json(lengths), b"}"]
    packed += [packer.compress(b"".join(pending)), packer.flush()]
    return base64.b64encode(b"".join(packed)).decode("ascii"), sum(1 for n in lengths if n)


def _sample(indices: range, n: int) -> list[int]:
    """Every k-th index: deterministic, spread over the run, contiguous runs kept for clusters."""
    if len(indices) <= n:
        return list(indices)
    # Blocks of 16 consecutive texts keep near-duplicates together, as in the real table.
    step = len(indices) * 16 // n
    return [i for start in range(indices.start, indices.stop, step) for i in range(start, min(start + 16, indices.stop))]


class Estimator:
    """Estimated packed bytes of the member and singleton texts at a given cap."""

    def __init__(self, table: TextTable):
        self.groups = []
        for indices in (range(0, table.members), range(table.members, len(table))):
            chosen = _sample(indices, SAMPLE_TEXTS)
            self.groups.append(([table.text(i) for i in chosen], len(indices) / max(1, len(chosen))))
        # (each estimate deflates its sample, a tenth of a second: the search for
        # caps asks for some twice, 4 of 27 at 100,839 documents)
        self._known: dict[tuple[int, int], int] = {}

    def __call__(self, group: int, cap: int) -> int:
        known = self._known.get((group, cap))
        if known is None:
            known = self._known[group, cap] = self._estimate(group, cap)
        return known

    def _estimate(self, group: int, cap: int) -> int:
        sample, scale = self.groups[group]
        if not sample:
            return 0
        return int(_packed_size(_json([cut(t, cap) for t in sample])) * scale)


def _largest_cap(fits, lo: int, hi: int) -> int:
    """The largest cap in [lo, hi] for which ``fits(cap)``; lo if none."""
    if fits(hi):
        return hi
    while hi - lo > 20:
        mid = (lo + hi) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
    return lo


def choose_caps(estimate: Estimator, limits: dict, fixed: int) -> tuple[int, int]:
    """Caps whose estimated total (``fixed`` bytes of the rest + texts) fits the target."""
    lo, hi = int(limits["text"]["min_chars"]), int(limits["text"]["max_chars"])
    room = int(limits["size"]["target_bytes"]) * 0.97 - fixed
    members_full = estimate(0, hi)
    single = _largest_cap(lambda c: members_full + estimate(1, c) <= room, lo, hi)
    if members_full + estimate(1, single) <= room:
        return hi, single
    singles_min = estimate(1, lo)
    return _largest_cap(lambda c: estimate(0, c) + singles_min <= room, lo, hi), lo


def encode(payload: dict, limits: dict) -> tuple[str, dict]:
    """(script-safe JSON for the page, what was cut: {"member", "single", "truncated"})."""
    hi = int(limits["text"]["max_chars"])
    lo = int(limits["text"]["min_chars"])
    table = payload["T"]
    meta = payload["meta"]
    rest = {k: v for k, v in payload.items() if k not in ("T", "Tm", "meta")}  # (in payload order)
    rest_json = _json_data(rest)
    compress_above = int(limits["size"]["compress_above_bytes"])
    rest_size = len(rest_json) + len(b'"meta":,') + len(_json(meta))  # the JSON of rest with meta in it
    caps = (hi, hi)
    if rest_size + _plain_size(table, hi, compress_above - rest_size) <= compress_above:
        texts, lengths = cut_texts(table, caps)
        encoded = script_json({**{k: v for k, v in payload.items() if k not in ("T", "Tm")}, "T": texts, "TL": lengths})
        truncated = sum(1 for n in lengths if n)
    else:
        target = int(limits["size"]["target_bytes"])
        whole = None  # the texts packed whole, when that is tried first
        estimate = None
        # The rest is deflated on a thread of its own (zlib lets go of the
        # interpreter's lock) while the texts are packed whole, or the first
        # estimates made: neither depends on it, only the choices below do.
        with ThreadPoolExecutor(1, thread_name_prefix="normalize-deflate") as aside:
            resting = aside.submit(_b64gzip, rest_json)
            if table.stored_bytes // 3 <= target:  # (the test below but for the rest: it may pass)
                whole = packed_texts(table, caps)
            else:
                estimate = Estimator(table)
                estimate(0, hi), estimate(1, hi)
            rest_packed = resting.result()
        if whole is not None and len(rest_packed) + table.stored_bytes // 3 > target:
            whole = None
        # Texts that fit unless they compress less than 3:1 (news packs 4:1 and
        # better) are packed whole at once: no estimate is worth its cost there.
        if whole is None or len(rest_packed) + sum(map(len, whole[0])) > target:
            if estimate is None:
                estimate = Estimator(table)
            if len(rest_packed) + estimate(0, hi) + estimate(1, hi) > target * 0.97:
                caps = choose_caps(estimate, limits, len(rest_packed))
        for _ in range(5):
            texts_packed, truncated = whole if whole is not None and caps == (hi, hi) else packed_texts(table, caps)
            if len(rest_packed) + sum(map(len, texts_packed)) <= target or caps == (lo, lo):
                break
            # Still over (the estimate was optimistic): shrink singletons, then members.
            if caps[1] > lo:
                caps = (caps[0], max(lo, caps[1] * 17 // 20))
            else:
                caps = (max(lo, caps[0] * 17 // 20), lo)
        encoded = script_json({"meta": meta, "z": [rest_packed, *texts_packed]})
    return encoded, {"member": caps[0], "single": caps[1], "truncated": truncated}
