"""StripBoilerplate, CorpusRepeats and clean_text on seeds and synthetic pages."""
from __future__ import annotations

import json
import pickle
import random
from array import array

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize.document import Document, Source
from normalize.normalise import Normalise, normalise_text
from normalize.strip import (
    CorpusRepeats,
    StripBoilerplate,
    classify_lines,
    clean_text,
)
from normalize.strip.inspect import explain
from normalize.strip.lexicon import (
    _pattern_needles,
    bare_key,
    languages,
    lexicon,
    scan_text,
    scanner,
)


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def removed(cleaned) -> dict[str, str]:
    return {r.text: r.reason for r in cleaned.removed}


# --- seeds -----------------------------------------------------------------


def test_seed_000(seed_texts):
    c = clean_text(seed_texts["000_9628bfd9e19983d4"])
    headline = "Can the West hinder North Korea's weapon trasfer to Russia: Expert's opinion"
    gone = removed(c)
    assert gone["ua en ru"] == "language-switcher"
    assert gone[headline + " Kim Jong UN (Photo: Getty Images)"] == "repeated-headline"
    assert lines_of(c.text).count(headline) == 1
    assert c.text.startswith(headline)
    for subhead in ("What preceded this", "However, it is unclear what else Pyongyang could pay",
                    "Cooperation between Russia and North Korea"):
        assert subhead in lines_of(c.text)


def test_seed_001(seed_texts):
    c = clean_text(seed_texts["001_a622f028b90d30ae"])
    headline = "Cooperation between Russia and the DPRK: can the West stop it?"
    assert lines_of(c.text).count(headline) == 1
    gone = removed(c)
    assert gone[headline] == "repeated-headline"
    for chrome in ("Volodymyr Putin and Kim Jong Un / Photo: Associated Press", ".Read also:",
                   "Related topics:", "Next publication"):
        assert chrome in gone and chrome not in c.text
    assert c.text.endswith("better conditions need to be offered to North Korea,\" the expert said.") or \
        c.text.split("\n")[-1].startswith("\"Its only way out")


def test_seed_002(seed_texts):
    c = clean_text(seed_texts["002_5727dd8942b972c4"])
    out = lines_of(c.text)
    for chrome in ("본문 바로가기", "bar_progress", "Text Size", "Close", "Join us on social!", "Top"):
        assert chrome not in out
    assert not any(line.endswith("[Image source=Yonhap News]") for line in out)
    assert not any("All rights reserved" in line for line in out)
    assert out[0] == "Russia also reached out to North Korea... Was the impact of Western sanctions severe?"
    for deck in ("U.S. Department of Defense Confirms Contact Regarding Russia-North Korea Arms Deal",
                 "Analysis Suggests Western Export Controls Worsen Russia's Supply Shortage",
                 "North Korea Sees Benefits in Maintaining Ties with Russia... Potential for Expanded Trade"):
        assert deck in out
    paragraphs = [l for l in lines_of(normalise_text(seed_texts["002_5727dd8942b972c4"])) if len(l) > 200]
    assert all(p in out for p in paragraphs)
    assert any(l.startswith("[Asia Economy Intern Reporter Yunjin Kim] It has been") for l in out)


def test_seed_003(seed_texts):
    c = clean_text(seed_texts["003_b6fd2c503173359d"])
    gone = removed(c)
    for chrome in ("Previous Article", "Next Article", "Write a Comment", "Leave a Comment",
                   "Vera Shcherbina outlines 400 million ruble aid for Primorsky Krai small businesses amid flood recovery",
                   "South Africa Clarifies Lady R Case Through Independent Commission Findings"):
        assert chrome in gone
    assert c.text.startswith("US considers sanctions over North Korea’s weapons to Russia")
    assert len([l for l in lines_of(c.text) if l]) == 7


def test_seed_004(seed_texts):
    c = clean_text(seed_texts["004_831499b3296b145f"])
    out = lines_of(c.text)
    assert "Advertisement" not in out
    assert not any(l.startswith("Estonia Moves to Ban") for l in out)
    for chrome in ("Other Topics of Interest",
                   "The move aims to safeguard against potential interference from Moscow and Minsk.",
                   "To suggest a correction or clarification, write to us here",
                   "You can also highlight the text and press Ctrl + Enter"):
        assert chrome not in out
    for subhead in ("What makes them think that?", "What’s being done about it?",
                    "Will Russia and North Korea listen to them?", "What has Russia said?"):
        assert subhead in out


def test_removals_point_into_doc_lines(seed_texts):
    for text in seed_texts.values():
        doc = Document(id="x", text=text, source=Source("s", 1))
        StripBoilerplate()(Normalise()(doc))
        for r in doc.removed:
            assert doc.lines[r.line - 1] == r.text
        kept = [l for i, l in enumerate(doc.lines) if l and i + 1 not in {r.line for r in doc.removed}]
        assert [l for l in doc.text.split("\n") if l] == kept
        assert not doc.text.startswith("\n") and not doc.text.endswith("\n")
        assert "\n\n\n" not in doc.text


# --- signals -----------------------------------------------------------------

PARA = ("The committee met on Tuesday and agreed that the new rules would take effect "
        "next year, after a long debate about costs and benefits for the region.")
PARA2 = ("Officials said the decision was expected, and that most of the members had "
         "already signalled their support for the plan in earlier meetings this month.")


def test_lexicon_has_many_languages():
    langs = set(languages())
    assert {"en", "uk", "ru", "ko", "ja", "zh", "de", "fr", "es", "it", "pt", "pl", "nl", "tr",
            "ar", "hi", "cs", "ro", "sv", "id"} <= langs


def test_lexicon_lines_in_several_languages():
    chrome = ["Читайте також:", "Lesen Sie auch", "» Lire aussi", "関連記事", "相关新闻",
              "Czytaj także:", "Leia também", "Devamını oku", "اقرأ أيضا", "यह भी पढ़ें"]
    reasons = classify_lines([PARA, *chrome, PARA2])
    assert reasons[0] is None and reasons[-1] is None
    assert all(r is not None for r in reasons[1:-1])


def test_subhead_between_paragraphs_kept():
    assert classify_lines([PARA, "", "What happens next", "", PARA2]) == [None] * 5


def test_short_run_at_edges_is_chrome():
    reasons = classify_lines(["Home", "World", "Politics", "Sport", PARA, PARA2, "Weather", "Jobs"])
    assert reasons[:4] == ["nav"] * 4 or all(reasons[:4])
    assert reasons[4] is None and reasons[5] is None
    assert all(reasons[6:])


def test_marker_cuts_teaser_titles_and_dek_but_not_subhead():
    lines = [PARA, "Read also", "Minister resigns after budget row",
             "The move surprised colleagues in parliament.", "Why does it matter?", PARA2]
    reasons = classify_lines(lines)
    assert reasons[1] == "read-also"
    assert reasons[2] == reasons[3] == "teaser"
    assert reasons[4] is None and reasons[5] is None


def test_headline_repeat_fused_with_credit():
    head = "Floods hit the north of the country again"
    reasons = classify_lines([head, "", head + " Rescue teams at work (Photo: Reuters)", PARA, PARA2])
    assert reasons[0] is None
    assert reasons[2] == "repeated-headline"


def test_cjk_length_counts_characters():
    zh = "国家统计局今天发布数据显示，今年前三季度全国居民人均可支配收入实际增长百分之五点九，增速比上半年加快。"
    reasons = classify_lines(["首页", zh, zh.replace("国家", "地方"), "返回顶部"])
    assert reasons[1] is None and reasons[2] is None
    assert reasons[0] and reasons[3]


# --- properties --------------------------------------------------------------

POOL = [PARA, PARA2, "", "", "Home", "Read also", "Advertisement", "What happens next",
        "Minister resigns after budget row", "© 2024 Example News. All rights reserved.",
        "Share this article", "Photo: Reuters", "The move surprised colleagues in parliament.",
        "本文へスキップ", "Next Article", "Kim Jong Un meets Putin in Vladivostok",
        "Kim Jong Un meets Putin in Vladivostok (Photo: AP)", "Comments"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(POOL), max_size=25))
def test_idempotent_and_no_invented_lines(lines):
    text = "\n".join(lines)
    once = clean_text(text).text
    assert clean_text(once).text == once
    source_lines = set(normalise_text(text).split("\n"))
    assert all(line in source_lines for line in once.split("\n") if line)


# Pieces of lines where one scan could go wrong: phrases and needed strings at
# the ends, punctuation that trimming removes, case folding and NFKC that
# lower-casing does not do (ß, full-width letters, the Kelvin sign).
SCAN_PIECES = ["All rights reserved", "alle Rechte vorbehalten", "Newsletter", "Photo", "foto:",
               "(c)", "©", "|", "»", "www.", "http", "2024", "Straße", "STRASSE", "ＡＢＣ", "K", "Ǆ",
               "«", "...", " ", "  ", "\t", "word", "Мы используем cookies", "무단전재", ".", "ＮＥＷＳＬＥＴＴＥＲ"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SCAN_PIECES), min_size=1, max_size=8))
def test_one_scan_finds_what_the_key_and_the_lower_cased_line_hold(pieces):
    line = "".join(pieces)
    lower = line.lower()
    key, joined = bare_key(line), " ".join(lower.split())
    scanned = scan_text(key, joined)
    if line.isascii():
        assert scanned is not None
    if scanned is None:
        return
    found = scanner().found(scanned)
    assert found & set(lexicon().short_phrases) == lexicon().short_needles.found(key)
    assert found & set(_pattern_needles().strings) == _pattern_needles().found(lower)


def test_idempotent_on_seeds(seed_texts):
    for text in seed_texts.values():
        once = clean_text(text).text
        assert clean_text(once).text == once


def test_idempotent_on_bench_pages(bench_dir):
    records = [json.loads(l) for l in (bench_dir / "boilerplate-dev.jsonl").open(encoding="utf-8")]
    for rec in records[::6]:
        once = clean_text(rec["text"]).text
        assert clean_text(once).text == once, rec["id"]
        source_lines = set(normalise_text(rec["text"]).split("\n"))
        assert all(line in source_lines for line in once.split("\n") if line)


# --- corpus repeats ----------------------------------------------------------

FOOTER = "Support independent journalism: subscribe today and read every story without limits."
SHARED = "The ministry declined to comment on the figures when contacted by reporters."


def _story(n: int, inserted: str) -> str:
    paragraphs = [
        f"Story {n} paragraph {k}: the council of town number {n} voted {k} times on item {n * 7 + k} "
        f"before the recess, and residents reacted in different ways to outcome {k}."
        for k in range(3)
    ]
    # the recurring line sits between paragraphs, where one page cannot tell it is chrome
    return "\n\n".join(paragraphs[:2] + [inserted] + paragraphs[2:])


def _corpus() -> list[Document]:
    docs = []
    for n in range(5):  # five different stories of one site, same footer
        docs.append(Document(id=f"s{n}", text=_story(n, FOOTER), source=Source("c", n),
                             fields={"url": f"https://www.example.com/news/{n}"}))
    for n in range(5):  # five copies of one story sharing a sentence
        docs.append(Document(id=f"c{n}", text=_story(99, SHARED), source=Source("c", 10 + n),
                             fields={"url": f"https://example.com/copy/{n}"}))
    return docs


def _run_corpus(docs: list[Document], staged: bool = False) -> dict[str, str]:
    """Texts after the corpus pass; ``staged``: summarised by the pipeline's stage,
    which leaves the candidate lines' hashes for the second pass in ``doc.work``."""
    from normalize.stages import SummariseLines

    normalise, strip = Normalise(), StripBoilerplate()
    for doc in docs:
        strip(normalise(doc))
    repeats = CorpusRepeats()
    for doc in docs:
        summary = SummariseLines()(doc).work.pop("corpus_summary") if staged else CorpusRepeats.summarise(doc)
        repeats.add(pickle.loads(pickle.dumps(summary)))
    stage = pickle.loads(pickle.dumps(repeats.finish()))
    for doc in docs:
        stage(doc)
    return {doc.id: doc.text for doc in docs}


def test_line_hash_is_the_hash_of_the_words_of_the_match_key():
    # what the corpus pass compares lines by, made without squeezing spaces that go anyway
    import re

    import xxhash

    from normalize.normalise import match_key
    from normalize.strip.corpus import line_hash

    lines = ["  Breaking:   the PM's “plan” — in full ", "snake_case and__more", "ＦＵＬＬ ｗｉｄｔｈ ﬁnance",
             "Straße, STRASSE", "Ⅻ ① ㎏", "\x1c sep\x1fx\u00a0nbsp", "«Москва» — столица", "本文 바로가기", "", "—…"]
    for line in lines:
        words = re.sub(r"[\W_]+", "", match_key(line))
        assert line_hash.__wrapped__(line) == xxhash.xxh64_intdigest(words.encode("utf-8")), line


def test_corpus_chrome_removed_but_story_copies_kept():
    docs = _corpus()
    texts = _run_corpus(docs)
    for n in range(5):
        assert FOOTER not in texts[f"s{n}"]
        assert texts[f"s{n}"].startswith(f"Story {n} paragraph 0")
        assert SHARED in texts[f"c{n}"]
    doc = next(d for d in docs if d.id == "s0")
    assert any(r.reason == "corpus-repeat" and r.text == FOOTER for r in doc.removed)
    for r in doc.removed:
        assert doc.lines[r.line - 1] == r.text


def test_corpus_pass_reads_the_first_pass_hashes_as_it_would_hash_the_lines():
    staged, plain = _corpus(), _corpus()
    assert _run_corpus(staged, staged=True) == _run_corpus(plain)
    assert all("corpus_lines" in doc.work for doc in staged)
    assert [[(r.line, r.text, r.reason) for r in d.removed] for d in staged] == \
        [[(r.line, r.text, r.reason) for r in d.removed] for d in plain]
    assert sum(r.reason == "corpus-repeat" for d in staged for r in d.removed) >= 5


def test_corpus_order_independent():
    first = _run_corpus(_corpus())
    shuffled = _corpus()
    random.Random(7).shuffle(shuffled)
    assert _run_corpus(shuffled) == first


def test_corpus_decisions_do_not_depend_on_the_order_documents_come_in_even_on_a_tie():
    # the order numbers the stories, which break ties; a tie gives no story the line
    teaser = "Read the full council report on the budget vote here."
    lead70 = _story(70, SHARED).split("\n\n")[0]
    texts = [_story(50, teaser)] * 2 + [_story(60, teaser)] * 2  # two copies of each: a tie
    texts += [_story(n, teaser) for n in range(4)] + [_story(70, SHARED)] * 3
    texts += [_story(10 + n, lead70) for n in range(4)]  # story 70's lead as a teaser elsewhere

    def corpus(order):
        return [Document(id=f"d{k}", text=texts[k], source=Source("c", k), fields={"source": "example.com"})
                for k in order]

    first = _run_corpus(corpus(range(len(texts))))
    assert not any(teaser in text for text in first.values())  # no home: chrome everywhere
    assert all(first[f"d{k}"].startswith(lead70) for k in (8, 9, 10))  # story 70 keeps its lead
    assert not any(lead70 in first[f"d{k}"] for k in range(11, 15))
    for seed in range(6):
        order = list(range(len(texts)))
        random.Random(seed).shuffle(order)
        assert _run_corpus(corpus(order)) == first


def test_corpus_repeats_counted_per_site():
    docs = _corpus()
    for n, doc in enumerate(docs[:5]):
        doc.fields = {"url": f"https://site{n}.example/{n}"}
    texts = _run_corpus(docs)
    assert all(FOOTER in texts[f"s{n}"] for n in range(5))
    assert all(SHARED in texts[f"c{n}"] for n in range(5))


def _stories_by_brute_force(summaries) -> list[int]:
    """The story rule, pair by pair: the reference for the array version."""
    from normalize.strip.corpus import COMMON, SAME_STORY

    carriers: dict = {}
    for n, sm in enumerate(summaries):
        for h in sm.prose:
            carriers.setdefault((sm.source, h), []).append(n)
    parent = list(range(len(summaries)))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for a in range(len(summaries)):
        for b in range(a + 1, len(summaries)):
            sa, sb = summaries[a], summaries[b]
            if sa.source != sb.source:
                continue
            shared = sum(1 for h in set(sa.prose) & set(sb.prose) if len(carriers[(sa.source, h)]) <= COMMON)
            smaller = min(len(sa.prose), len(sb.prose))
            if shared >= SAME_STORY * smaller and (shared >= 2 or smaller == 1):
                ra, rb = find(a), find(b)
                parent[max(ra, rb)] = min(ra, rb)
    return [min(m for m in range(len(summaries)) if find(m) == find(n)) for n in range(len(summaries))]


@pytest.mark.parametrize("chunk", [1 << 22, 7, "C"])
def test_story_links_match_the_pair_by_pair_rule(monkeypatch, chunk):
    from normalize.strip import corpus
    from normalize.strip.corpus import COMMON, Collected, Summary, _same_story

    if chunk == "C":  # the pairs counted by the C kernel
        if corpus.kernels is None:
            pytest.skip("the kernels are not built here")
    else:  # by numpy's sort; 7: many chunks, each pair still in one
        monkeypatch.setattr(corpus, "kernels", None)
        monkeypatch.setattr(corpus, "_PAIR_CHUNK", chunk)
    rng = random.Random(5)
    common = tuple(range(10_000, 10_000 + 3))  # boilerplate paragraphs on every page of site a
    summaries = []
    for n in range(COMMON + 140):  # site a: more pages than COMMON
        site = "a" if n % 3 else "b"
        story = rng.randrange(30)
        prose = {story * 100 + rng.randrange(12) for _ in range(rng.randint(1, 8))}
        if site == "a":
            prose.update(common)
        summaries.append(Summary(site, array("Q", sorted(prose)), array("Q")))
    expected = _stories_by_brute_force(summaries)
    assert _same_story(Collected.of(summaries)).tolist() == expected
    assert 20 < len(set(expected)) < len(summaries)


# --- inspect -----------------------------------------------------------------


def test_explain_gives_every_line_a_decision(seed_texts):
    text = seed_texts["001_a622f028b90d30ae"]
    rows = explain(text)
    assert [r["line"] for r in rows] == list(range(1, len(normalise_text(text).split("\n")) + 1))
    by_text = {r["text"]: r for r in rows}
    assert by_text[".Read also:"]["decision"] == "drop"
    assert by_text[".Read also:"]["reason"] == "read-also"
    assert by_text["He said this in a comment to 24Kanal."]["decision"] == "keep"
    assert all({"line", "text", "decision", "reason", "signals"} <= set(r) for r in rows)


def test_corpus_story_lead_shown_as_teaser_elsewhere_stays_in_its_story():
    lead = _story(50, SHARED).split("\n\n")[0]
    docs = []
    for n in range(4):  # four other stories show story 50's lead as a teaser
        docs.append(Document(id=f"o{n}", text=_story(n, lead), source=Source("c", n),
                             fields={"source": "example.com"}))
    for n in range(3):  # three copies of story 50 itself
        docs.append(Document(id=f"x{n}", text=_story(50, SHARED), source=Source("c", 10 + n),
                             fields={"source": "example.com"}))
    texts = _run_corpus(docs)
    assert all(texts[f"x{n}"].startswith(lead) for n in range(3))
    assert all(lead not in texts[f"o{n}"] for n in range(4))


def test_corpus_page_keeps_its_own_lead_and_loses_another_storys_teaser():
    # each document asks once per story whether a recurring line is its own:
    # here one page holds a line of each kind, its own lead first
    lead50, lead60 = (_story(n, SHARED).split("\n\n")[0] for n in (50, 60))
    docs = [Document(id=f"x{n}", text=_story(50, lead60), source=Source("c", n), fields={"source": "example.com"})
            for n in range(3)]
    docs += [Document(id=f"y{n}", text=_story(60, SHARED), source=Source("c", 10 + n),
                      fields={"source": "example.com"}) for n in range(4)]
    docs += [Document(id=f"o{n}", text=_story(n, lead50 if n < 2 else lead60), source=Source("c", 20 + n),
                      fields={"source": "example.com"}) for n in range(4)]
    texts = _run_corpus(docs)
    for n in range(3):
        assert texts[f"x{n}"].startswith(lead50) and lead60 not in texts[f"x{n}"]
    assert all(texts[f"y{n}"].startswith(lead60) for n in range(4))
    assert not any(lead50 in texts[f"o{n}"] or lead60 in texts[f"o{n}"] for n in range(4))


def test_label_fused_with_its_link_text():
    fused = ["Читайте також: Зеленський провів нараду з військовими",
             "Read also: How the war changed Europe", "Lesen Sie auch: Wie geht es weiter"]
    reasons = classify_lines([PARA, *fused, PARA2])
    assert reasons[1:4] == ["read-also"] * 3
    assert reasons[0] is None and reasons[4] is None


# --- structural signals added for author boxes, credits, datelines, lists ----

PARA3 = ("Residents who live near the river were told to move their cars to higher ground "
         "before the evening, and schools in the valley will stay closed until Monday.")


def test_author_box_after_article_is_dropped():
    lines = [PARA, PARA2, "Jane Roe", "Jane Roe is a senior writer covering science and the "
             "environment, and before that she reported on courts and city hall for many years."]
    reasons = classify_lines(lines)
    assert reasons[0] is None and reasons[1] is None
    assert reasons[2] == reasons[3] == "author"


def test_name_subhead_before_its_paragraph_in_the_lead_stays():
    # the same shape above the first paragraph is a byline and lead, not a box
    reasons = classify_lines(["Jane Roe", "Jane Roe " + PARA, PARA2])
    assert reasons[1] is None and reasons[2] is None


def test_photo_copyright_does_not_end_the_article():
    closing = "Officials expect the new rules to be reviewed again next spring, after the first results."
    reasons = classify_lines([PARA, PARA2, PARA3, "Image copyright Reuters", closing])
    assert reasons[3] == "copyright"
    assert reasons[:3] == [None] * 3 and reasons[4] is None


def test_site_copyright_ends_the_article():
    notice = ("Example News is published by Example Media Group, which also runs radio "
              "stations and a printing business in three countries across the region.")
    reasons = classify_lines([PARA, PARA2, PARA3, "© 2024 Example News", notice])
    assert reasons[3] == "copyright" and reasons[4] == "footer"


def test_dateline_fused_with_a_label_is_chrome():
    reasons = classify_lines(["8. November 2021 | Aktuelles", "Flood warning for the north", PARA,
                              "January 13, 2020 at 08:45 AM | categories: Python | 4 comments",
                              PARA2])
    assert reasons[0] == "date" and reasons[3] == "date"
    assert reasons[2] is None and reasons[4] is None


def test_comment_count_in_a_meta_line():
    reasons = classify_lines([PARA, "19.6.2007 9:40 Uhr Christoph Becker 71 Kommentare", PARA2])
    assert reasons[1] == "meta"


def test_ingredient_list_between_paragraphs_kept():
    items = ["300 g Mehl", "1 TL Backpulver", "200 g Zucker", "1 Prise Salz", "2 Eier",
             "100 g gemahlene Mandeln", "1 TL Zimt", "Mandelsplitter", "250 ml Milch", "1 Ei"]
    reasons = classify_lines([PARA, *items, PARA2])
    assert reasons == [None] * len(reasons)


def test_one_word_label_run_between_paragraphs_still_chrome():
    labels = ["Politik", "Sport", "Kultur", "Wetter", "Reisen", "Auto", "Digital", "Karriere", "Leben"]
    reasons = classify_lines([PARA, *labels, PARA2])
    assert all(reasons[1:-1])


def test_call_to_action_phrase_in_short_line():
    reasons = classify_lines([PARA, "Jede kleine Spende hilft – jetzt spenden!", PARA2])
    assert reasons[1] == "appeal"


def test_small_box_behind_chrome_at_the_article_end_is_cut():
    article = [PARA, PARA2, PARA3, PARA.replace("Tuesday", "Monday"), PARA2.replace("members", "staff"),
               PARA3.replace("river", "lake"), PARA.replace("committee", "council")]
    appeal = "Independent reporting like this costs money, and we rely on readers like you to keep it free."
    reasons = classify_lines([*article, "Advertisement", "Support us", appeal])
    assert reasons[: len(article)] == [None] * len(article)
    assert reasons[-1] == "footer"


def test_last_paragraph_after_a_subhead_pair_stays():
    article = [PARA, PARA2, PARA3, PARA.replace("Tuesday", "Monday"), PARA2.replace("members", "staff")]
    closing = "The council will meet again next month, when it expects to publish the final version."
    reasons = classify_lines([*article, "What comes next", "A second vote", closing])
    assert reasons[-1] is None


def test_caption_conventions():
    captions = ["Marcell Jansen (l.) und Piotr Trochowski haben einen guten Draht.",
                "Abbildung 4: Die grösste Lawine dieser Berichtsperiode, oberhalb von Tschiertschen.",
                "La bendición se realizará mañana. Foto: LN"]
    reasons = classify_lines([PARA, *captions, PARA2])
    assert reasons[1:4] == ["caption"] * 3
    # a registered-trademark sign is no "(r.)" for "right"
    assert classify_lines([PARA, "Das Reformhaus(R) bietet seit Jahren auch Bio-Produkte an, "
                                 "sagte die Sprecherin am Montag.", PARA2]) == [None] * 3


def test_one_word_label_with_colon_before_its_list():
    # "Themen:" is the phrase "themen" with a joiner; "Tags: ..." likewise
    reasons = classify_lines([PARA, "Themen: Strava, Tourenplanung, Karten", "Tags: flood, weather", PARA2])
    assert reasons[1] == "nav" and reasons[2] == "nav"


@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=80) | st.text(max_size=40)
       | st.text(alphabet=st.sampled_from("ab é–—“”«»_ \u00a0,.;\ud800Ж日"), max_size=40))
def test_line_hash_of_ascii_lines_is_the_hash_of_their_words(text):
    """ASCII keys skip the regex (bytes.translate), and other keys lose their
    ASCII gaps that way first: the hash must be the same."""
    import xxhash

    from normalize.normalise import match_key
    from normalize.strip.corpus import _NOT_WORD, line_hash

    line_hash.cache_clear()
    assert line_hash(text) == xxhash.xxh64_intdigest(_NOT_WORD.sub("", match_key(text)).encode("utf-8"))


def test_the_story_leading_a_line_is_found_as_one_sort_per_line_would():
    import numpy as np

    from normalize.strip.corpus import _leading_story

    rng = random.Random(11)
    sizes = [rng.randint(1, 9) for _ in range(300)]
    owner = np.concatenate([np.array(sorted(rng.sample(range(50), n)), dtype=np.int64) for n in sizes])
    carried = np.array([rng.randint(1, 4) for _ in range(len(owner))], dtype=np.int64)  # ties are common
    ends = np.cumsum(sizes)
    starts = ends - sizes
    keep = np.array([n >= 2 for n in sizes])  # (the lines carried by enough stories: never fewer than two)
    found = list(zip(*_leading_story(carried, owner, starts[keep], ends[keep])))
    expected = []
    for lo, hi in zip(starts[keep].tolist(), ends[keep].tolist()):
        ranked = sorted(zip(owner[lo:hi].tolist(), carried[lo:hi].tolist()), key=lambda kv: (-kv[1], kv[0]))
        expected.append((ranked[0][0], ranked[0][1], ranked[1][1]))
    assert found == expected
    assert any(count == runner_up for _, count, runner_up in found)  # ties were met


def test_the_corpus_pass_keeps_the_summaries_in_columns_and_gathers_a_storys_prose():
    from normalize.strip.corpus import Collected, Summary, _LazyProse

    rng = random.Random(11)
    summaries = [Summary(rng.choice(["a.com", "b.org", ""]), array("Q", sorted(rng.sample(range(500), rng.randint(0, 9)))),
                         array("Q", sorted(rng.sample(range(500), rng.randint(0, 5))))) for _ in range(300)]
    collected = Collected.of(summaries)
    assert len(collected) == 300
    names = {name: k for k, name in enumerate(dict.fromkeys(sm.source for sm in summaries))}  # first seen first
    assert collected.sites == names and list(collected.site) == [names[sm.source] for sm in summaries]
    assert list(collected.prose) == [h for sm in summaries for h in sm.prose]
    assert list(collected.lines) == [h for sm in summaries for h in sm.lines]
    assert list(collected.prose_counts) == [len(sm.prose) for sm in summaries]
    assert list(collected.line_counts) == [len(sm.lines) for sm in summaries]
    story = np.array([rng.choice([0, 3, 7, n]) for n in range(300)], dtype=np.int64)
    prose = _LazyProse(collected, story)
    for st in (0, 3, 7, 11, 299, 1000):
        expected = set().union(*(summaries[n].prose for n in range(300) if story[n] == st))
        assert prose[st] == expected
