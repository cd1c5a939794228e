"""Where the article is: the structural judgement of a page's lines.

Without markup, the article shows as the densest stretch of prose. Each line
gets a score (prose earns its length, labels and chrome cost) and the
best-scoring stretch of lines (Kadane's maximum subarray) is the body. The
first prose line under the headline (or the first byline or date) weighs
extra, since that is where articles begin; the body is widened to further
stretches of prose that score well on their own (an article cut in two by an
ad block) and to a lead paragraph just above it, and cut at a share bar or
comments label once most of its prose is above. A photo credit ("© dpa")
is no such label: it sits inside articles. A small block of prose at the
very end, behind labels that were judged chrome, is a box (author bio,
donation appeal, disclaimer) and is cut too.

Around it: a few lines of some length right above are headline, deck and
byline; everything else above is navigation, everything below is footer.
Inside it, short lines between paragraphs are subheads, and lists whose items
start with numbers ("200 g Zucker") or speak in phrases ("an frostfreien
Tagen gießen") are content; runs of labels are chrome. The numbers live in
``data/layout.toml``.
"""
from __future__ import annotations

import tomllib
from importlib import resources

from normalize.strip.features import Line

_CONF = tomllib.loads(
    resources.files("normalize.strip").joinpath("data/layout.toml").read_text("utf-8")
)
PROSE_CAP = _CONF["score"]["prose_cap"]
PROSE_OFFSET = _CONF["score"]["prose_offset"]
LABEL_COST = _CONF["score"]["label_cost"]
SHORT_LABEL_COST = _CONF["score"]["short_label_cost"]
CHROME_COST = _CONF["score"]["chrome_cost"]
SECTION_COST = _CONF["score"]["section_cost"]
MIN_EXTRA_STRETCH = _CONF["span"]["min_extra_stretch"]
EXTRA_STRETCH_SHARE = _CONF["span"]["extra_stretch_share"]
LEAD_MIN = _CONF["span"]["lead_min"]
LEAD_GAP = _CONF["span"]["lead_gap"]
TAIL_SHARE = _CONF["span"]["tail_share"]
TAIL_BOX_SHARE = _CONF["span"]["tail_box_share"]
TAIL_BOX_GAP = _CONF["span"]["tail_box_gap"]
ANCHOR_REACH = _CONF["span"]["anchor_reach"]
ANCHOR_BONUS = _CONF["span"]["anchor_bonus"]
HEAD_MIN_WORDS = _CONF["head"]["min_words"]
HEAD_MAX_LINES = _CONF["head"]["max_lines"]
MAX_SUBHEAD_RUN = _CONF["subheads"]["max_run"]
SUBHEAD_MEAN_WORDS = _CONF["subheads"]["mean_words"]
MAX_LIST_RUN = _CONF["subheads"]["max_list_run"]
LIST_MEAN_WORDS = _CONF["subheads"]["list_mean_words"]

# Sections that follow the article: their labels end the article's stretch.
AFTER_ARTICLE = frozenset({"read-also", "teaser", "share", "comments", "newsletter", "cookie", "copyright"})
# ... and these come after its last paragraph ("Read also" may sit mid-article).
ENDS_ARTICLE = AFTER_ARTICLE - {"read-also"}


def _scores(text_lines: list[Line]) -> tuple[list[float], list[bool]]:
    """Each line's score, and whether it ends the article, in one loop
    (this runs on every line of every look at a page).

    A label that opens the sections after an article (share bar, comments,
    "Read also") costs most; chrome already judged costs a little; prose
    earns its length; other labels cost by their length. A photo credit
    ("© dpa", see ``Line.photo_credit``) sits inside articles and is no such
    label, unlike a site's "© 2024 Example Ltd." that closes the page.
    """
    scores: list[float] = []
    ends: list[bool] = []
    add_score, add_end = scores.append, ends.append
    for line in text_lines:
        says = line.says
        if says is not None and says in AFTER_ARTICLE and not line.photo_credit:
            add_score(-SECTION_COST)
            add_end(says in ENDS_ARTICLE)
            continue
        add_end(False)
        if line.reason:
            add_score(-CHROME_COST)
        elif line.prose:
            add_score(min(line.words, PROSE_CAP) - PROSE_OFFSET)
        elif line.words >= 4:
            add_score(-LABEL_COST)
        else:
            add_score(-SHORT_LABEL_COST)
    return scores, ends


def _anchor_at_headline(text_lines: list[Line], scores: list[float]) -> int:
    """The article begins under its headline (found by its printed repeat) or,
    failing that, under the page's first byline or date line: the first prose line within
    reach below it weighs more, so that a short article (or the free lead of a
    paywalled one) is not outscored by a login form or a list of teasers."""
    keep_whys = [ln.keep_why for ln in text_lines]  # (list.index finds at C speed)
    if "headline" in keep_whys:
        top = keep_whys.index("headline")
    else:
        says = [ln.says for ln in text_lines]
        if "credit" in says:
            top = says.index("credit")
        else:
            dated = [says.index(kind) for kind in ("date", "meta") if kind in says]
            if not dated:
                return -1
            top = min(dated)
    for n in range(top + 1, min(top + 1 + ANCHOR_REACH, len(text_lines))):
        if text_lines[n].prose and not text_lines[n].reason:
            scores[n] += ANCHOR_BONUS
            return n
    return -1


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


def _article_span(scores: list[float], ends: list[bool], anchor: int = -1) -> tuple[int, int]:
    """First and last line of the article: the best stretch, widened to take
    in further stretches of prose that score well on their own (an article cut
    in two by a "Read also" box or an ad block), or a lead paragraph a few
    lines above the body (a photo or a subscription box between). No stretch
    joins past a label that ends articles (share bar, comments, copyright)."""
    best, start, end = _best_stretch(scores, 0, len(scores))
    if start <= anchor <= end:
        best -= ANCHOR_BONUS  # judge other stretches against the article's own prose
    floor = max(MIN_EXTRA_STRETCH, EXTRA_STRETCH_SHARE * best)
    while True:
        left = _best_stretch(scores, 0, start)
        right = _best_stretch(scores, end + 1, len(scores))
        grown = False
        near = start - left[2] - 1 <= LEAD_GAP
        # (share bars and teaser boxes often sit between the lead and the body)
        if left[0] >= floor and not any(ends[left[2] : start]) or near and left[0] >= LEAD_MIN:
            start, grown = left[1], True
        if right[0] >= floor and not any(ends[end : right[1]]):
            end, grown = right[2], True
        if not grown:
            return start, end


def _cut_tail(scores: list[float], ends: list[bool], start: int, end: int) -> int:
    """End the article at a share bar / comments / newsletter label once most
    of its prose lies above it: what follows (author bio, donation appeal,
    newsletter pitch) is prose too, but it is not the article."""
    total = sum(s for s in scores[start : end + 1] if s > 0)
    above = 0.0
    for i in range(start, end + 1):
        if ends[i] and above >= TAIL_SHARE * total:
            return max(start, i - 1)
        if scores[i] > 0:
            above += scores[i]
    return end


def _drop_tail_box(text_lines: list[Line], scores: list[float], start: int, end: int) -> int:
    """End the article before a small block of prose at its end that stands
    apart, behind a run of labels or chrome: an author bio, a donation appeal,
    a disclaimer or a product box. The article's own last paragraph follows
    its text directly, or at most one caption or label."""
    total = sum(s for s in scores[start : end + 1] if s > 0)
    pos, box = end, 0.0
    while pos > start and scores[pos] > 0:  # the block: prose lines at the very end
        box += scores[pos]
        pos -= 1
    gap_end = pos
    while pos > start and scores[pos] <= 0:  # the labels or chrome above it
        pos -= 1
    gap = gap_end - pos
    # the gap must hold chrome already judged (a label the lexicon knows, a
    # teaser marker): plain subheads between paragraphs are no box edge
    judged = any(ln.reason for ln in text_lines[pos + 1 : gap_end + 1])
    if pos > start and box <= TAIL_BOX_SHARE * total and gap >= TAIL_BOX_GAP and judged:
        return pos
    return end


def mark_layout(lines: list[Line]) -> None:
    """Mark lines outside the article (nav, footer) and labels inside it."""
    text_lines = [ln for ln in lines if ln.text]
    if not text_lines:
        return
    scores, ends = _scores(text_lines)
    anchor = _anchor_at_headline(text_lines, scores)
    if max(scores) <= 0:
        # No prose at all (a list, a recipe card, a short notice): keep labels.
        return
    start, end = _article_span(scores, ends, anchor)
    end = _cut_tail(scores, ends, start, end)
    end = _drop_tail_box(text_lines, scores, start, end)
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
    taken = 0
    for line in reversed(above):
        if line.reason:
            continue
        if line.words < HEAD_MIN_WORDS or taken == HEAD_MAX_LINES:
            break
        line.keep_why = "head"
        taken += 1


def _judge_short_lines(stretch: list[Line]) -> None:
    """Inside the article, short lines between two paragraphs are subheads
    (or a short list) when there are few of them and they are words, not
    labels: a run of one-word labels (a share bar, a tag list) is chrome.
    """
    kept = [ln for ln in stretch if not ln.reason]
    first_paragraph = next((n for n, ln in enumerate(kept) if ln.para), len(kept))
    pos = 0
    while pos < len(kept):
        line = kept[pos]
        if line.keep_why or line.prose:
            pos += 1
            continue
        if pos < first_paragraph:
            # above the first paragraph: headline, deck and byline territory
            if line.words >= HEAD_MIN_WORDS:
                line.keep_why = "head"
            else:
                line.reason = "short"
            pos += 1
            continue
        end = pos
        while end < len(kept) and not kept[end].prose and not kept[end].keep_why:
            end += 1
        run = kept[pos:end]
        between = pos > 0 and end < len(kept) and kept[end].prose
        wordy = sum(ln.words for ln in run) / len(run) >= SUBHEAD_MEAN_WORDS
        keep = between and (len(run) == 1 or (len(run) <= MAX_SUBHEAD_RUN and wordy)
                            or _quantity_list(run) or _phrase_list(run))
        for ln in run:
            if keep:
                ln.keep_why = "subhead"
            else:
                ln.reason = "short"
        pos = end


def _quantity_list(run: list[Line]) -> bool:
    """Ingredients, specifications, steps: a list whose items mostly start
    with a number ("200 g Zucker", "2 tbsp oil") and are more than a number."""
    counted = sum(1 for ln in run if ln.text[:1].isdigit() and ln.words >= 2)
    return len(run) <= MAX_LIST_RUN and counted * 2 >= len(run)


def _phrase_list(run: list[Line]) -> bool:
    """Tips, steps, symptoms: a list of short phrases that speak ("Achte auf
    eine gute Selbstfürsorge", "an frostfreien Tagen gießen"), not labels:
    every item holds a stop word or starts in lower case, and the items
    average a few words."""
    if len(run) > MAX_LIST_RUN or sum(ln.words for ln in run) < LIST_MEAN_WORDS * len(run):
        return False
    return all(ln.stop_ratio > 0 or ln.text[:1].islower() for ln in run)
