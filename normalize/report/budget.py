"""Fit the embedded data into a file size a browser opens comfortably.

A news text runs to a few thousand characters; 100,000 of them are hundreds of
megabytes. The page keeps the whole run but not every text in full:

* every text is cut to ``max_chars`` (2,000 by default) and the page says so
  where it shows a cut text;
* past ``compress_above_bytes`` the data is gzipped and base64-encoded, in two
  parts (the texts, and everything else), and the page inflates it with the
  browser's own DecompressionStream. Texts are stored cluster by cluster with
  the kept copy first, so a near-duplicate sits inside gzip's 32 kB window
  next to its kept copy and costs little more than its differences;
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
from typing import Iterator

import orjson

from .embed import TextTable, cut, script_json

GZIP_LEVEL = 5  # level 6 costs 2.5x the time on near-duplicate text for 5% less
SAMPLE_TEXTS = 1200


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


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


def _cut(table: TextTable, caps: tuple[int, int]) -> Iterator[tuple[str, int]]:
    """(each text cut to caps = (member cap, singleton cap), its full length if cut or 0)."""
    for i in range(len(table)):
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


def packed_texts(table: TextTable, caps: tuple[int, int]) -> tuple[str, int]:
    """(base64(gzip(JSON {"T": texts, "TL": lengths})), texts cut), the texts streamed through."""
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # what gzip.compress(mtime=0) does
    packed, pending, lengths = [], [b'{"T":['], []
    for i, (short, full) in enumerate(_cut(table, caps)):
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

    def __call__(self, group: int, cap: int) -> int:
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
    rest_json = _json(rest)
    compress_above = int(limits["size"]["compress_above_bytes"])
    rest_size = len(rest_json) + len(b'"meta":,') + len(_json(meta))  # the JSON of rest with meta in it
    caps = (hi, hi)
    if rest_size + _plain_size(table, hi, compress_above - rest_size) <= compress_above:
        texts, lengths = cut_texts(table, caps)
        encoded = script_json({**{k: v for k, v in payload.items() if k not in ("T", "Tm")}, "T": texts, "TL": lengths})
        truncated = sum(1 for n in lengths if n)
    else:
        rest_packed = _b64gzip(rest_json)
        target = int(limits["size"]["target_bytes"])
        whole = None  # the texts packed whole, when that is tried first
        if len(rest_packed) + table.stored_bytes // 3 <= target:
            # Texts that fit unless they compress less than 3:1 (news packs 4:1 and
            # better) are packed whole at once: no estimate is worth its cost here.
            whole = packed_texts(table, caps)
        if whole is None or len(rest_packed) + len(whole[0]) > target:
            estimate = Estimator(table)
            if len(rest_packed) + estimate(0, hi) + estimate(1, hi) > target * 0.97:
                caps = choose_caps(estimate, limits, len(rest_packed))
        for _ in range(5):
            texts_packed, truncated = whole if whole is not None and caps == (hi, hi) else packed_texts(table, caps)
            if len(rest_packed) + len(texts_packed) <= target or caps == (lo, lo):
                break
            # Still over (the estimate was optimistic): shrink singletons, then members.
            if caps[1] > lo:
                caps = (caps[0], max(lo, caps[1] * 17 // 20))
            else:
                caps = (max(lo, caps[0] * 17 // 20), lo)
        encoded = script_json({"meta": meta, "z": [rest_packed, texts_packed]})
    return encoded, {"member": caps[0], "single": caps[1], "truncated": truncated}
