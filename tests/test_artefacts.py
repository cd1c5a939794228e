"""Translation artefacts: residue, language switchers, wire markers, and the verdict."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize.detect.artefact_residue import line_scripts
from normalize.detect.artefact_switcher import opens_menu, switcher_tokens
from normalize.detect.artefacts import (
    FindArtefacts,
    LanguageSwitcher,
    Page,
    clear_line_caches,
    find_artefacts,
    wire_rules,
)
from normalize.detect.translation import Finding, revise, source_of, verdict
from normalize.document import Artefact, Document, Removal, Source


BODY = "\n".join([
    "The minister said the talks would continue next week in Geneva.",
    "Officials from both countries have met three times since the spring.",
    "Neither side has published a draft of the agreement so far.",
    "Analysts expect a decision before the end of the year.",
])


def seed(seed_texts: dict, prefix: str) -> str:
    return next(text for stem, text in seed_texts.items() if stem.startswith(prefix))


def run(text: str, lang: str | None = "en", **work) -> Document:
    doc = Document(id="t", text=text, source=Source("t", 1), lines=text.split("\n"), lang=lang or "und")
    doc.work.update(work)
    return FindArtefacts()(doc)


def kinds(doc_or_list) -> list[str]:
    arts = doc_or_list.artefacts if isinstance(doc_or_list, Document) else doc_or_list
    return [a.kind for a in arts]


def of_kind(arts, kind: str) -> list[Artefact]:
    return [a for a in arts if a.kind == kind]


# -- the seeds ---------------------------------------------------------------


def test_seed_000_switcher_and_casing(seed_texts):
    text = seed(seed_texts, "000")
    doc = run(text)
    lines = text.split("\n")
    switchers = of_kind(doc.artefacts, "language-switcher")
    assert [lines[a.line - 1] for a in switchers] == ["ua en ru"]
    assert "(source: uk)" in switchers[0].evidence
    names = of_kind(doc.artefacts, "name-variant")
    assert len(names) == 1 and "Kim Jong UN" in lines[names[0].line - 1]
    assert '"Kim Jong UN"' in names[0].evidence and '"Kim Jong-un"' in names[0].evidence
    # "Volodymyr Fesenko" is a Ukrainian named the Ukrainian way: no artefact
    assert not any("Fesenko" in a.evidence for a in doc.artefacts)
    assert doc.translation["suspected"] and doc.translation["source_lang"] == "uk"


def test_seed_001_volodymyr_putin(seed_texts):
    text = seed(seed_texts, "001")
    doc = run(text)
    names = of_kind(doc.artefacts, "name-variant")
    assert len(names) == 1
    a = names[0]
    assert "Volodymyr Putin" in text.split("\n")[a.line - 1]
    assert '"Vladimir Putin"' in a.evidence and "Ukrainian" in a.evidence and source_of(a) == "uk"
    assert not any("Musienko" in x.evidence or "Kim Jong Un" in x.evidence for x in doc.artefacts)
    assert doc.translation["suspected"] and doc.translation["source_lang"] == "uk"


def test_seed_002_korean_wire_copy(seed_texts):
    text = seed(seed_texts, "002")
    doc = run(text)
    lines = text.split("\n")
    residue = of_kind(doc.artefacts, "foreign-script-residue")
    assert [(lines[a.line - 1], source_of(a)) for a in residue] == [("본문 바로가기", "ko")]
    wire = " ".join(a.evidence for a in of_kind(doc.artefacts, "wire-marker"))
    assert "(local time)" in wire
    assert "[Image source=Yonhap News]" in wire
    assert "[Asia Economy Intern Reporter Yunjin Kim]" in wire
    assert doc.translation["suspected"] and doc.translation["source_lang"] == "ko"
    assert 0.9 < doc.translation["score"] <= 1.0


@pytest.mark.parametrize("prefix", ["003", "004"])
def test_clean_seeds_have_no_artefacts(seed_texts, prefix):
    doc = run(seed(seed_texts, prefix))
    assert doc.artefacts == []
    assert doc.translation == {"suspected": False, "source_lang": None, "score": 0.0}


def test_find_artefacts_on_seeds_without_a_language(seed_texts):
    """Without a language the document's scripts are read off the text."""
    assert set(kinds(find_artefacts(seed(seed_texts, "000")))) == {"language-switcher", "name-variant"}
    assert kinds(find_artefacts(seed(seed_texts, "001"))) == ["name-variant", "wire-marker"]
    found = find_artefacts(seed(seed_texts, "002"))
    assert kinds(found)[0] == "foreign-script-residue" and source_of(found[0]) == "ko"
    assert {"wire-marker"} == set(kinds(found[1:]))
    assert find_artefacts(seed(seed_texts, "003")) == [] == find_artefacts(seed(seed_texts, "004"))


def test_evidence_on_lines_the_stripper_removed(seed_texts):
    """Artefacts point into doc.lines, whatever the stripper kept in doc.text."""
    text = seed(seed_texts, "002")
    lines = text.split("\n")
    kept = "\n".join(lines[4:])
    doc = Document(id="s", text=kept, source=Source("s", 1), lines=lines, lang="en",
                   removed=[Removal(i, lines[i - 1], "chrome") for i in (1, 2, 3, 4)])
    FindArtefacts()(doc)
    first = of_kind(doc.artefacts, "foreign-script-residue")[0]
    assert first.line == 1 and lines[0] == "본문 바로가기"
    assert isinstance(doc.work["names"], list)


def test_uses_line_languages_when_present():
    text = f"Top stories today\nГлавная новости спорт\n{BODY}"
    with_langs = run(text, line_langs=["en", "bg"] + ["en"] * 4)
    without = run(text)
    assert source_of(of_kind(with_langs.artefacts, "foreign-script-residue")[0]) == "bg"
    assert source_of(of_kind(without.artefacts, "foreign-script-residue")[0]) == "ru"
    # misaligned line languages are ignored, not trusted
    assert kinds(run(text, line_langs=["en"])) == kinds(without)


# -- foreign-script residue --------------------------------------------------


@pytest.mark.parametrize("line, source", [
    ("본문 바로가기", "ko"),
    ("メニューを開く", "ja"),
    ("日本語のニュース", "ja"),
    ("首页 新闻 体育", "zh"),
    ("Головна сторінка новин", "uk"),  # і points at Ukrainian
    ("Главная страница новостей", "ru"),
    ("Галоўная старонка навін", "be"),  # ў
    ("الصفحة الرئيسية للأخبار", "ar"),
    ("صفحه اصلی اخبار کشور", "fa"),  # ک and ی
    ("หน้าแรก ข่าว", "th"),
    ("मुख्य पृष्ठ समाचार", "hi"),
])
def test_residue_line_and_its_source(line, source):
    text = f"{line}\n{BODY}"
    found = of_kind(find_artefacts(text, "en"), "foreign-script-residue")
    assert [(a.line, source_of(a)) for a in found] == [(1, source)]


@pytest.mark.parametrize("text, lang", [
    ("Xi Jinping (习近平) met the delegation in Beijing on Monday.", "en"),  # a name, not a phrase
    ("Shares of Gazprom (Газпром) fell by three percent on Monday.", "en"),
    ("Компания Apple представила новый iPhone и MacBook Pro в Купертино.", "ru"),  # Latin loanwords
    ("大韓民國 헌법 제1조는 민주공화국을 규정한다.", "ko"),  # hanja are Korean script
    ("東京都の人口は増えている。", "ja"),
    ("Predsednik je rekao da će Србија наставити разговоре.", "sr"),  # Serbian in both scripts
    ("The α-helix and β-sheet are protein structures.", "en"),
])
def test_no_residue_in_native_or_short_spans(text, lang):
    assert of_kind(find_artefacts(text, lang), "foreign-script-residue") == []


def test_residue_phrase_inside_a_line():
    text = f'He quoted the slogan "Слава героям нашої країни" at the rally.\n{BODY}'
    found = of_kind(find_artefacts(text, "en"), "foreign-script-residue")
    assert len(found) == 1 and "phrase" in found[0].evidence and source_of(found[0]) == "uk"


def test_mislabelled_document_is_not_all_residue():
    """A text mostly in a foreign script is bilingual or mislabelled, not residue."""
    korean = "\n".join(["북한은 러시아에 무기를 공급할 수 있다고 전문가들은 말했다."] * 5 + ["Reuters"])
    assert of_kind(find_artefacts(korean, "en"), "foreign-script-residue") == []


def test_embedded_post_is_quoted_not_residue():
    text = f"— תעמוד עם ישראל (@12_31_84) November 5, 2023\n{BODY}"
    assert of_kind(find_artefacts(text, "en"), "foreign-script-residue") == []
    unquoted = f"תעמוד עם ישראל\n{BODY}"
    assert kinds(find_artefacts(unquoted, "en")) == ["foreign-script-residue"]


def test_language_menu_lines_are_not_residue():
    menu = "\n\n".join(["English", "Deutsch", "Français", "Русский", "日本語", "한국어", "中文"])
    text = menu + "\n\nThe festival opens on Friday with a concert in the old town square."
    found = find_artefacts(text, "en")
    assert kinds(found) == ["language-switcher"]
    assert found[0].line == 1


# -- language switcher -------------------------------------------------------


@pytest.mark.parametrize("line, langs", [
    ("ua en ru", ["uk", "en", "ru"]),
    ("EN | DE | FR", ["en", "de", "fr"]),
    ("English Español Français", ["en", "es", "fr"]),
    ("UA EN", ["uk", "en"]),
    ("Укр Рус Eng", ["uk", "ru", "en"]),
    ("Українською | По-русски | English version", ["uk", "ru", "en"]),
    ("de / en", ["de", "en"]),
    ("English 中文 日本語", ["en", "zh", "ja"]),
    ("Tiếng Việt | Bahasa Indonesia | English", ["vi", "id", "en"]),
    ("en-US pt-BR zh-Hans", ["en", "pt", "zh"]),
])
def test_switcher_lines(line, langs):
    assert LanguageSwitcher().languages(line) == langs


@pytest.mark.parametrize("line", [
    "en el",  # Spanish word pair
    "de la",
    "is it",
    "IT US",  # acronyms
    "English",  # one language is not a menu
    "English lessons for everyone",
    "es de la casa",
    "Deutsch lernen",
    "English (UK)",  # a language and a country
])
def test_not_switcher_lines(line):
    assert LanguageSwitcher().languages(line) is None


def test_switcher_column_and_country_lists():
    sw = LanguageSwitcher()
    column = "DE\n\nEN\n\nFR"
    assert [m[1] for m in sw.menus(Page(column.split("\n"), "de", column))[0]] == [["de", "en", "fr"]]
    countries = "Österreich\n\nPortugal\n\nSpanien\n\nSchweiz"  # German country list: no menu
    assert sw.menus(Page(countries.split("\n"), "de", countries))[0] == []


def test_switcher_source_is_first_other_language():
    found = of_kind(find_artefacts(f"UA | EN | RU\n{BODY}", "en"), "language-switcher")
    assert source_of(found[0]) == "uk"


# -- wire markers ------------------------------------------------------------

WIRE_EXAMPLES = {
    "local-time": "The ministry said on Tuesday (local time) that talks would resume.",
    "day-of-month-date": "On the 6th, the Department of Defense confirmed the contact.",
    "image-source": "President Yoon Suk-yeol. [Photo source=Yonhap News]",
    "photo-by-bracket": "Seoul city hall on Monday. [Photo by Yonhap News]",
    "photo-equals": "Photo = Reporter Kim Hyun-min",
    "bracketed-byline": "[Seoul Economic Daily Reporter Park Ji-won] Exports rose again.",
    "city-equals-agency": "(Seoul=Yonhap News) Reporter Kim reports that exports rose.",
    "agency-dash": "SEOUL, June 5 (Yonhap) -- North Korea fired a missile.",
    "reporter-email": "Reporter Kim Yun-jin kyj@asiae.co.kr",
    "no-reproduction": "Unauthorized reproduction and redistribution prohibited",
    "circled-copyright": "ⓒ Yonhap News Agency",
    "ai-learning-ban": "Prohibited from use for AI learning and redistribution",
    "jp-reproduction-ban": "Prohibition of unauthorized reproduction of articles and photos",
    "jp-bracket-dateline": "[Washington Jiji Press] The summit ended without a statement.",
    "editor-in-charge": "Editor in charge: Zhang Wei",
    "source-net": "Source: Xinhua Net",
    "read-also": "Read also:",
    "illustrative-photo": "Illustrative photo",
    "reporter-parenthesis": "Xinhua News Agency, Beijing, May 5 (Reporter Zhang Wei) The council met.",
    "recall-that": "Recall that the Verkhovna Rada adopted the law in the first reading.",
}

WIRE_CLEAN = [
    "The meeting is on the 5th of May in Geneva.",
    "Offices are on the 5th floor of the building.",
    "They celebrated on the 20th anniversary of the treaty.",
    "Photo: Getty Images",
    "Arms negotiations between Russia and the DPRK [North Korea] are advancing.",
    "Since that visit, President [Vladimir] Putin and Kim Jong-un exchanged letters.",
    "The event starts at 9 a.m. local time on Friday.",
    "See also: our earlier coverage of the summit.",
    "https://example.com/view?photo=12&source=home",
    "© 2023 The Associated Press. All rights reserved.",
    "Players warm up before the game. (Photo by John Smith/Getty Images)",
    "Voters will recall that the council promised lower taxes.",
    "[Editor's note: This story has been updated with a statement from the ministry.]",
    "[Reporter's notebook] A week on the campaign trail.",
]


def test_every_wire_rule_has_an_example():
    assert {r.name for r in wire_rules()} == set(WIRE_EXAMPLES)


@pytest.mark.parametrize("name", sorted(WIRE_EXAMPLES))
def test_wire_rule_catches_its_example(name):
    found = of_kind(find_artefacts(WIRE_EXAMPLES[name], "en"), "wire-marker")
    assert name in {a.evidence.split(" ", 1)[0] for a in found}


@pytest.mark.parametrize("line", WIRE_CLEAN)
def test_wire_rules_leave_native_phrasing_alone(line):
    assert of_kind(find_artefacts(line, "en"), "wire-marker") == []


def test_wire_marker_is_no_evidence_in_its_own_language():
    assert find_artefacts("ⓒ 연합뉴스 무단전재 재배포 금지", "ko") == []


def test_english_phrases_are_only_looked_for_in_english():
    assert find_artefacts("Photo illustrative", "fr") == []
    assert kinds(find_artefacts("Photo illustrative", "en")) == ["wire-marker"]


# -- verdict -----------------------------------------------------------------


def test_verdict_combines_and_discounts_repeats():
    one = Finding("wire-marker", 1, "x", "wire-marker:local-time", 0.5, "ko")
    assert verdict([one]) == {"suspected": True, "source_lang": "ko", "score": 0.5}
    ten = verdict([Finding("wire-marker", i, "x", "wire-marker:local-time", 0.5, "ko") for i in range(10)])
    two = verdict([one, Finding("wire-marker", 2, "x", "wire-marker:image-source", 0.5, "ko")])
    assert 0.5 < ten["score"] < two["score"]  # ten repeats of one rule weigh less than two rules
    mixed = verdict([one, Finding("name-variant", 2, "y", "name-variant:a", 0.6, "uk"),
                     Finding("language-switcher", 3, "z", "language-switcher", 0.3, "uk|ru")])
    assert mixed["source_lang"] == "uk" and 0 <= mixed["score"] <= 1
    assert verdict([]) == {"suspected": False, "source_lang": None, "score": 0.0}


def test_revise_adds_later_evidence():
    start = {"suspected": False, "source_lang": "uk", "score": 0.3}
    later = [Artefact("name-variant", 4, '"Kim Jong UN": casing variant ...')]
    after = revise(start, later)
    assert after["score"] > 0.3 and after["source_lang"] == "uk"
    assert revise(start, []) == start


def test_stage_is_deterministic(seed_texts):
    text = seed(seed_texts, "002")
    a, b = run(text), run(text)
    assert a.artefacts == b.artefacts and a.translation == b.translation


# -- false positives on clean text -------------------------------------------


@pytest.mark.bench
def test_false_positive_rate_on_clean_sentences(bench_dir):
    stage, flagged, total = FindArtefacts(), 0, 0
    with (bench_dir / "langid-dev.jsonl").open(encoding="utf-8") as f:
        for raw in f:
            row = json.loads(raw)
            doc = Document(id=row["id"], text=row["text"], source=Source("b", 1),
                           lines=row["text"].split("\n"), lang=row["lang"])
            flagged += bool(stage(doc).artefacts)
            total += 1
    assert total > 20000
    assert flagged / total < 0.005


@pytest.mark.parametrize("text", ["", "\n\n", "123 456 !!!"])
def test_empty_and_letterless_texts(text):
    doc = run(text, lang=None)
    assert doc.artefacts == [] and doc.translation["score"] == 0.0 and doc.work["names"] == []


# -- the shortcuts that keep the stage fast ----------------------------------


def test_line_caches_do_not_change_findings(seed_texts):
    """A line seen before (cached) gives the same findings as one seen first."""
    texts = [seed(seed_texts, stem) for stem in ("000", "001", "002", "003", "004")]
    clear_line_caches()
    first = [(d.artefacts, d.translation, d.work["names"]) for d in map(run, texts)]
    second = [(d.artefacts, d.translation, d.work["names"]) for d in map(run, texts)]
    assert first == second and any(a for a, _, _ in first)


def test_line_facts_give_the_rules_what_their_own_look_ups_give(seed_texts):
    """The stage looks each line up once (line_facts) and hands the rules the
    facts; each rule alone, without them, finds the same."""
    from normalize.detect.artefacts import Page, line_facts

    mixed = "\n".join(["본문 바로가기", "ua en ru", "English\nРусский\nУкраїнська", BODY,
                       "On the 6th (local time), Volodymyr Putin met Kim Jong UN.", "[Image source=Yonhap News]",
                       "Kim Jong Un said so. Kim Jong UN agreed, said Kim Jong Un."])
    texts = [seed(seed_texts, stem) for stem in ("000", "001", "002", "003", "004")] + [mixed]
    stage, rules_found = FindArtefacts(), 0
    for text in texts:
        doc = Document(id="t", text=text, source=Source("t", 1), lines=text.split("\n"), lang="en")
        alone, told = Page.of(doc), Page.of(doc)
        told.facts = list(map(line_facts, told.filled[1]))
        for rule in stage.rules:
            found = list(rule(alone))
            assert list(rule(told)) == found, type(rule).__name__
            rules_found += len(found)
        infos = [f.names for f in told.facts]
        assert stage.names(doc.lines, infos) == stage.names(doc.lines)
    assert rules_found >= 5


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([BODY, "본문 바로가기", "북한은 러시아에 무기를 공급할 수 있다고 전문가들은 말했다.",
                                 "Москва сообщила о новых переговорах в среду.", "東京は日本の首都です。", "ua en ru",
                                 "Reuters", "", "Ελλάδα"]), min_size=1, max_size=12),
       st.sampled_from(["en", "ru", "ko", "ja"]))
def test_foreign_share_settled_from_line_facts_as_by_counting_letters(lines, lang):
    """A page whose foreign lines are too short against its ASCII letters has no
    dominant foreign script; the short cut says so only where counting every
    letter would."""
    from normalize.detect.artefact_page import lang_scripts
    from normalize.detect.artefact_residue import ScriptResidue
    from normalize.detect.artefacts import line_facts

    text = "\n".join(lines)
    doc = Document(id="t", text=text, source=Source("t", 1), lines=lines, lang=lang)
    counted, told = Page.of(doc), Page.of(doc)
    told.facts = list(map(line_facts, told.filled[1]))
    rule = ScriptResidue()
    allowed = told.natives | lang_scripts()["*"]
    dominant = rule.dominant_foreign(counted, allowed)
    assert rule.dominant_foreign(told, allowed) == dominant
    if rule.few_foreign(told, allowed):
        assert dominant == frozenset()


def test_a_stray_foreign_line_is_settled_without_counting_letters():
    from normalize.detect.artefact_page import lang_scripts
    from normalize.detect.artefact_residue import ScriptResidue
    from normalize.detect.artefacts import line_facts

    rule = ScriptResidue()
    for text, few in (("본문 바로가기\n" + BODY, True), ("\n".join(["북한은 러시아에 무기를 공급할 수 있다고 전문가들은 말했다."] * 5 + ["Reuters"]), False)):
        doc = Document(id="t", text=text, source=Source("t", 1), lines=text.split("\n"), lang="en")
        page = Page.of(doc)
        page.facts = list(map(line_facts, page.filled[1]))
        allowed = page.natives | lang_scripts()["*"]
        assert rule.few_foreign(page, allowed) is few
        assert (rule.dominant_foreign(page, allowed) == frozenset()) is few


@pytest.mark.parametrize("name", sorted(WIRE_EXAMPLES))
def test_every_wire_match_holds_a_line_cue(name):
    """A rule's regex is only run on lines holding one of its line cues, so every
    match must contain one (lower-cased)."""
    rule = {r.name: r for r in wire_rules()}[name]
    m = rule.pattern.search(WIRE_EXAMPLES[name])
    assert m is not None
    assert any(cue in m.group().lower() for cue in rule.line_cues)
    assert set(rule.cues) <= set(rule.line_cues) or name == "local-time"


def test_local_time_line_cue_covers_the_plural():
    rule = {r.name: r for r in wire_rules()}["local-time"]
    m = rule.pattern.search("Talks resumed on the 3rd (local times) in Seoul.")
    assert any(cue in m.group().lower() for cue in rule.line_cues)


@given(st.lists(st.sampled_from(sorted(switcher_tokens()) + ["News", "the", "2024", "(", "»"]), max_size=6),
       st.sampled_from([" ", " | ", " / ", ", ", " - ", " · "]), st.sampled_from(["", "  ", "« ", "| ", "– "]))
@settings(max_examples=300, deadline=None)
def test_first_word_shortcut_never_hides_a_menu(words, sep, lead):
    """Only lines whose first word can open a menu are looked at: every line whose
    words are all language tokens must pass that test."""
    line = lead + sep.join(w.upper() if i % 2 else w for i, w in enumerate(words))
    if LanguageSwitcher.tokens(line.strip()):
        assert opens_menu(line)


@pytest.mark.parametrize("line", [
    "Plain ASCII line with Words.", "Curly “quotes” and — dashes…", "Café Müller in Zürich",
    "본문 바로가기", "Xi Jinping (习近平) spoke.", "Русский", "日本語のページ", "ΑΘΗΝΑ 2024", "",
])
def test_line_scripts_match_script_counts(line):
    from normalize.detect.scripts import script_counts

    assert line_scripts(line) == frozenset(script_counts(line))


@settings(max_examples=300, deadline=None)
@given(st.text(st.one_of(st.characters(blacklist_categories=()),
                         st.sampled_from(["\ud800", "\udcff", "é", "“", "Ж", "日", "😀", "\u0301", "A"])), max_size=40))
def test_line_scripts_of_any_text_match_script_counts(line):
    """Lone surrogates, controls and characters past the Basic Multilingual Plane included."""
    from normalize.detect.scripts import script_counts

    assert line_scripts.__wrapped__(line) == frozenset(script_counts(line))


@pytest.mark.parametrize("line", [
    "On the 6th (local time), officials said.", "[Image source=Yonhap News]", "Read also: the latest",
    "ON THE RECORD photo is illustrative", "nothing here", "", "İstanbul photo",
])
def test_cue_finder_matches_substring_tests(line):
    from normalize.detect.artefact_wire import all_cues, line_cues

    assert line_cues(line) == frozenset(cue for cue in all_cues() if cue in line.lower())


@given(st.text(alphabet=st.characters(max_codepoint=0x2FFF), max_size=300))
def test_ascii_letters_counts_what_the_letter_pattern_finds(text):
    from normalize.detect.artefact_residue import ascii_letters

    assert ascii_letters(text) == len(re.findall("[A-Za-z]", text))


def test_a_page_looked_at_ahead_of_its_pass_finds_its_line_facts_cached(seed_texts):
    """``look_ahead`` (called by a worker between passes) works out and caches
    the facts of a page's lines; the stage then looks none up afresh, and
    finds what it would have found."""
    from normalize.detect import artefacts

    text = seed(seed_texts, "002")
    clear_line_caches()
    expected = run(text)
    clear_line_caches()
    doc = Document(id="t", text=text, source=Source("t", 1), lines=text.split("\n"), lang="en")
    FindArtefacts().look_ahead(doc)
    looked = dict(artefacts._FACTS)
    assert set(looked) == {line for line in doc.lines if line}
    again = FindArtefacts()(doc)
    assert artefacts._FACTS.keys() == looked.keys()  # nothing worked out afresh
    assert all(artefacts._FACTS[line] is facts for line, facts in looked.items())
    assert (again.artefacts, again.translation) == (expected.artefacts, expected.translation)
