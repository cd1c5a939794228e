"""The rules, one small step each, applied in order to a document's lines.

Each step reads the measurements of :mod:`.features` and sets ``reason`` on
lines it judges to be boilerplate (or ``keep_why`` on lines it protects). The
steps go from certain to structural:

1. :func:`mark_own`: what the line says by itself (lexicon, patterns).
2. :func:`mark_headline_repeats`: the headline printed again (often fused with
   a photo caption) is dropped; its first occurrence stays.
3. :func:`mark_teaser_blocks`: after "Read also", "Previous Article", "Other
   Topics of Interest" come teaser titles and their one-sentence deks.
4. :func:`mark_author_boxes`: a name, then a paragraph that starts with it:
   the writer's bio, not the story.
5. :func:`.layout.mark_layout`: where the article is (see :mod:`.layout`).
6. :func:`mark_copies`: a kept line printed a second time goes.
"""
from __future__ import annotations

from collections import defaultdict

from normalize.strip.features import Line
from normalize.strip.layout import HEAD_MIN_WORDS, mark_layout

MARKERS = frozenset({"read-also", "teaser"})


def mark_own(lines: list[Line]) -> None:
    """What a line says by itself: a lexicon phrase, copyright, date, markup."""
    for line in lines:
        if line.says and not line.reason:
            line.reason = line.says


def _title_like(line: Line) -> bool:
    return bool(line.text) and 3 <= line.words <= 40 and not line.prose


def mark_headline_repeats(lines: list[Line], head: int = 200) -> None:
    """Keep the headline once; drop later copies, alone or fused with a caption.

    The headline is the line in the head of the page (before the first
    paragraph) that is printed again further down, exactly or as the start of
    a longer caption line; of several such lines, the one nearest the article.
    """
    text_lines = [ln for ln in lines if ln.text]
    # The head ends at the first paragraph (a headline may end in "?" or ".")
    first_paragraph = next((n for n, ln in enumerate(text_lines) if ln.para), len(text_lines))
    candidates = [(pos, cand) for pos, cand in enumerate(text_lines[: min(head, first_paragraph)])
                  if HEAD_MIN_WORDS <= cand.words <= 40]
    if not candidates:
        return
    # Lines below the first candidate by their first two words (Line.start):
    # a repeat starts like the headline (only the starts of candidates are wanted).
    wanted = {cand.start for _, cand in candidates}
    by_start: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for n, line in enumerate(text_lines[candidates[0][0] + 1 :], candidates[0][0] + 1):
        start = line.start
        if start is not None and start in wanted:
            by_start[start].append(n)
    nearest = None
    for pos, cand in candidates:
        if cand.reason or cand.start not in by_start:  # a copy of an earlier candidate; no repeat
            continue
        repeats = [
            other
            for other in (text_lines[n] for n in by_start[cand.start] if n > pos)
            if not other.keep_why
            and (other.key == cand.key
                 or (other.key.startswith(cand.key) and other.words <= cand.words + 25))
        ]
        for other in repeats:
            other.reason = "repeated-headline"
        if repeats:
            nearest = cand
    if nearest is not None:
        nearest.keep_why = "headline"


def mark_teaser_blocks(lines: list[Line], max_items: int = 16) -> None:
    """Cut the teaser titles (and their deks) that follow a teaser marker.

    The item right after a marker is always the teaser it announces. Later
    items are titles (no sentence punctuation) or one sentence under a title.
    The block ends at prose, or at a short line followed by a long paragraph
    (an article subhead such as "What's being done about it?").
    """
    text_lines = [ln for ln in lines if ln.text]
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
            leads_prose = nxt is not None and nxt.prose and nxt.words >= 25
            if first and not line.para:
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
            if (not line.reason and line.key in dropped_keys and line.keep_why != "headline"
                    and not line.para):  # a lead quoted as a dek stays in its article
                line.reason = "teaser"


def _name_like(line: Line) -> bool:
    """"Inga Buller", "Dr. Anna M. Weber": a few capitalised words, no sentence."""
    tokens = line.text.split()
    return 2 <= len(tokens) <= 4 and not line.terminal and all(t[:1].isupper() for t in tokens)


def mark_author_boxes(lines: list[Line]) -> None:
    """An author box: the author's name, then a paragraph that starts with
    that name ("Inga Buller ist Head of Social ...", "Jane Roe is a senior
    writer ..."). It is about the writer, not the story, and it follows the
    article, so only boxes below the first paragraph are taken."""
    text_lines = [ln for ln in lines if ln.text and not ln.reason]
    first = next((n for n, ln in enumerate(text_lines) if ln.para), len(text_lines))
    for name, bio in zip(text_lines[first + 1 :], text_lines[first + 2 :]):
        if (bio.prose and name.words <= 4 and bio.text.startswith(name.text + " ")
                and not name.keep_why and not bio.keep_why and _name_like(name)):
            name.reason = bio.reason = "author"
            bio.signals["author_box"] = name.text


def mark_copies(lines: list[Line]) -> None:
    """A kept line printed again later (teaser, pull quote, title) is dropped."""
    seen: set[str] = set()
    for line in lines:
        if not line.text or line.reason:
            continue
        key = line.key or line.text
        if key in seen:
            line.reason = "repeated"
        seen.add(key)


STEPS = (mark_own, mark_headline_repeats, mark_teaser_blocks, mark_author_boxes, mark_layout,
         mark_copies)
