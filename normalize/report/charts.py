"""Bar-chart geometry for the overview, laid out here and drawn as inline SVG.

The charts are drawn server-side (by the template, from the numbers computed
here) so the overview needs no script to show and prints as it looks. Long
tails are folded into one "other" bar so a run with 90 languages still fits.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass
class Bar:
    label: str
    value: int
    fraction: float  # of the largest bar, 0..1
    share: float  # of the total, 0..1
    href: str = ""


def bars(counts: dict, max_bars: int = 14, href: str = "") -> list[Bar]:
    """Largest first; the tail past ``max_bars - 1`` folded into "other"."""
    items = [(str(k), int(v)) for k, v in counts.items() if int(v) > 0]
    items.sort(key=lambda kv: (-kv[1], kv[0]))
    if len(items) > max_bars:
        head, tail = items[: max_bars - 1], items[max_bars - 1 :]
        items = head + [(f"other ({len(tail)})", sum(v for _, v in tail))]
    total = sum(v for _, v in items) or 1
    top = max((v for _, v in items), default=1) or 1
    return [
        Bar(k, v, v / top, v / total, href.format(quote(k, safe="")) if href and not k.startswith("other (") else "")
        for k, v in items
    ]


SIZE_BUCKETS = [(2, 2), (3, 3), (4, 4), (5, 5), (6, 10), (11, 20), (21, 50), (51, 100), (101, 10**9)]


def size_histogram(sizes: dict[int, int]) -> list[Bar]:
    """Clusters per size; sizes are bucketed (6-10, 11-20, ...) once they spread out."""
    sizes = {int(k): int(v) for k, v in sizes.items()}
    if not sizes:
        return []
    if max(sizes) <= 12:
        buckets = [(s, s) for s in range(2, max(sizes) + 1)]
    else:
        buckets = [b for b in SIZE_BUCKETS if b[0] <= max(sizes)]
    counted = []
    for lo, hi in buckets:
        n = sum(v for s, v in sizes.items() if lo <= s <= hi)
        label = str(lo) if lo == hi else (f"{lo}+" if hi >= 10**9 else f"{lo}-{hi}")
        counted.append((label, n, lo, hi))
    top = max(n for _, n, _, _ in counted) or 1
    total = sum(n for _, n, _, _ in counted) or 1
    return [
        Bar(label, n, n / top, n / total, f"#clusters?size={lo}-{min(hi, 10**6)}")
        for label, n, lo, hi in counted
    ]
