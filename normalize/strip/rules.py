"""The rules, one small step each, applied in order to a document's lines.

Each step reads the measurements of :mod:`.features` and sets ``reason`` on
lines it judges to be boilerplate (or ``keep_why`` on lines it protects). The
steps go from certain to structural:

1. :func:`mark_own`: what the line says by itself (lexicon, patterns).
2. :func:`mark_headline_repeats`: the headline printed again (often fused with
   a photo caption) is dropped; its first occurrence stays.
3. :func:`mark_teaser_blocks`: after "Read also", "Previous Article", "Other
   Topics of Interest" come teaser titles and their one-sentence deks.
4. :func:`mark_layout`: where the article is. Prose scores, labels cost; the
   best-scoring stretch of lines is the article, and the runs of short lines
   above and below it are chrome. Short lines *inside* it are subheads.
"""
from __future__ import annotations

from normalize.strip.features import Line

MARKERS = frozenset({"read-also", "teaser"})


def mark_own(lines: list[Line]) -> None:
    """What a line says by itself: a lexicon phrase, copyright, date, markup."""
    for line in lines:
        if line.says and not line.reason:
            line.reason = line.says


HEAD_MIN_WORDS = 3  # a headline or deck line has at least this many words
MIN_EXTRA_STRETCH = 20.0  # score a second stretch of prose needs to join the article
EXTRA_STRETCH_SHARE = 0.5  # ... or this share of the best stretch's score, if more


def _title_like(line: Line) -> bool:
    return not line.blank and 3 <= line.words <= 40 and not line.prose


def mark_headline_repeats(lines: list[Line], head: int = 25) -> None:
    """Keep the headline once; drop later copies, alone or fused with a caption.

    The headline is the first line in the head of the page that is printed
    again further down, exactly or as the start of a longer caption line.
    """
    text_lines = [ln for ln in lines if not ln.blank]
    # The head ends at the first paragraph (a headline may end in "?" or ".")
    first_paragraph = next(
        (n for n, ln in enumerate(text_lines) if ln.prose and ln.words >= 20), len(text_lines)
    )
    for pos, cand in enumerate(text_lines[: min(head, first_paragraph)]):
        if cand.reason or cand.words < HEAD_MIN_WORDS or cand.words > 40:
            continue
        repeats = [
            other
            for other in text_lines[pos + 1 :]
            if other.key == cand.key
            or (other.key.startswith(cand.key) and other.words <= cand.words + 25)
        ]
        if repeats:
            cand.keep_why = "headline"
            for other in repeats:
                other.reason = "repeated-headline"
            return


def mark_teaser_blocks(lines: list[Line], max_items: int = 16) -> None:
    """Cut the teaser titles (and their deks) that follow a teaser marker.

    The item right after a marker is always the teaser it announces. Later
    items are titles (no sentence punctuation) or one sentence under a title.
    The block ends at prose, or at a short line followed by a long paragraph
    (an article subhead such as "What's being done about it?").
    """
    text_lines = [ln for ln in lines if not ln.blank]
    dropped_keys: set[str] = set()
    i = 0
    while i < len(text_lines):
        if text_lines[i].reason not in MARKERS:
            i += 1
            continue
        first, after_title, items = True, False, 0
        j = i + 1
        while j < len(text_lines) and items < max_items:
            line = text_lines[j]
            nxt = text_lines[j + 1] if j + 1 < len(text_lines) else None
            if line.reason:
                first = line.reason in MARKERS
                j += 1
                continue
            if line.keep_why == "headline":
                break
            paragraph = line.prose and line.words >= 20
            leads_prose = nxt is not None and nxt.prose and nxt.words >= 25
            if first and not paragraph:
                kind = "title"
            elif _title_like(line) and not line.terminal and not leads_prose:
                kind = "title"
            elif after_title and line.words <= 35 and not leads_prose and not line.text.endswith("?"):
                kind = "dek"
            else:
                break
            line.reason = "teaser"
            line.signals["after_marker"] = text_lines[i].text[:40]
            dropped_keys.add(line.key)
            after_title, first = kind == "title", False
            items += 1
            j += 1
        i = j
    # A teaser title printed elsewhere on the page is the same teaser.
    if dropped_keys:
        for line in text_lines:
            if not line.reason and line.key in dropped_keys and line.keep_why != "headline":
                line.reason = "teaser"


# Sections that follow the article: their labels end the article's stretch.
AFTER_ARTICLE = frozenset({"read-also", "teaser", "share", "comments", "newsletter", "cookie", "copyright"})


def _score(line: Line) -> float:
    if line.reason in AFTER_ARTICLE:
        return -15.0
    if line.reason:
        return -3.0
    if line.prose:
        return min(line.words, 60.0) - 5.0
    if line.words >= 4:
        return -1.0
    return -2.0


def _best_stretch(scores: list[float], lo: int, hi: int) -> tuple[float, int, int]:
    """Kadane over scores[lo:hi]: (total, first, last) of the best stretch."""
    best, span = float("-inf"), (lo, lo - 1)
    run, start = 0.0, lo
    for i in range(lo, hi):
        if run <= 0:
            run, start = scores[i], i
        else:
            run += scores[i]
        if run > best:
            best, span = run, (start, i)
    return best, span[0], span[1]


def _article_span(scores: list[float]) -> tuple[int, int]:
    """First and last line of the article: the best stretch, widened to take
    in further stretches of prose that score well on their own (an article cut
    in two by a "Read also" box or an ad block)."""
    best, start, end = _best_stretch(scores, 0, len(scores))
    floor = max(MIN_EXTRA_STRETCH, EXTRA_STRETCH_SHARE * best)
    while True:
        left = _best_stretch(scores, 0, start)
        right = _best_stretch(scores, end + 1, len(scores))
        grown = False
        if left[0] >= floor:
            start, grown = left[1], True
        if right[0] >= floor:
            end, grown = right[2], True
        if not grown:
            return start, end


def mark_layout(lines: list[Line]) -> None:
    text_lines = [ln for ln in lines if not ln.blank]
    if not text_lines:
        return
    scores = [_score(ln) for ln in text_lines]
    if max(scores) <= 0:
        # No prose at all (a list, a recipe card, a short notice): keep labels.
        return
    start, end = _article_span(scores)
    _take_head(text_lines[:start])
    for pos, line in enumerate(text_lines):
        if line.reason or line.keep_why:
            continue
        if pos < start:
            line.reason = "nav"
        elif pos > end:
            line.reason = "footer"
    _judge_short_lines(text_lines[start : end + 1])


def _take_head(above: list[Line]) -> None:
    """Headline, deck and byline: the lines of some length right above the
    article, up to the first short label (removed lines do not interrupt)."""
    for line in reversed(above):
        if line.reason:
            continue
        if line.keep_why == "headline":
            break
        if line.words < HEAD_MIN_WORDS:
            break
        line.keep_why = "head"


def _judge_short_lines(stretch: list[Line]) -> None:
    """Inside the article, a short line is a subhead when it stands between
    two paragraphs (removed lines aside). A label next to another label is a
    run of chrome (share bar, tag list, "Related" box) inside the stretch.
    """
    kept = [ln for ln in stretch if not ln.reason]
    for pos, line in enumerate(kept):
        if line.keep_why or line.prose:
            continue
        before = kept[pos - 1] if pos > 0 else None
        after = kept[pos + 1] if pos + 1 < len(kept) else None
        if before is not None and before.prose and after is not None and after.prose:
            line.keep_why = "subhead"
        else:
            line.reason = "short"


STEPS = (mark_own, mark_headline_repeats, mark_teaser_blocks, mark_layout)
