"""Normalise: repairs damage, leaves clean text alone, is idempotent."""
from __future__ import annotations

import unicodedata

import ftfy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize.document import Document, Source
import normalize.normalise as normalise_module
from normalize.normalise import Normalise, _whole_text, match_key, normalise_lines, normalise_text
from normalize.normalise.repair import CONFIG, _suspect_lines, may_need_repair, needs_repair, repair

# Clean text in many scripts, with the typography ftfy's defaults would change:
# curly quotes, full-width forms, ligatures, NNBSP before French punctuation,
# ZWNJ in Persian, ZWJ in Devanagari conjuncts and emoji sequences.
CLEAN = {
    "en": "She said “don’t” — it’s fine… only 5 € and the ﬁnal ﬂight.",
    "de": "Größere Äpfel für Bäckerei Müller – „schön“ gesagt, sagt Straße 3.",
    "fr": "L’été à Paris\u202f: « déjà vu », c’est ça\u202f!",
    "es": "¿Qué pasó? Niño, señal, acción y «comillas».",
    "it": "Perché è così? Più città, più attività.",
    "pt": "Ação, coração e não — está ótimo.",
    "pl": "Zażółć gęślą jaźń, powiedział „dziennikarz”.",
    "cs": "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "ro": "Știința și țara: România în două cuvinte.",
    "tr": "Türkçe metin: ığüşöç İstanbul’da.",
    "sv": "Räksmörgås på ön, så är det.",
    "nl": "Coördinatie en één ideeën, zei de reünie.",
    "id": "Berita terkini dari Jakarta hari ini.",
    "ru": "Привет, как дела? «Всё хорошо», — сказал он.",
    "uk": "Їжак і ґава: що сталося з Євгеном?",
    "el": "Ελληνικό κείμενο με τόνους: άέήίόύώ.",
    "ar": "هذا نص عربي، مع علامات الترقيم؟",
    "fa": "می\u200cخواهم به خانه بروم.",
    "he": "טקסט בעברית עם סימן \u200fכיווניות.",
    "hi": "यह हिन्दी पाठ है। क्\u200dष और र्\u200dय।",
    "ja": "日本語のテキスト、カタカナ「テスト」です。ＡＢＣ１２３",
    "zh": "中文文本，测试“引号”和全角标点：ＡＢＣ。",
    "ko": "한국어 텍스트입니다. 본문 바로가기",
    "th": "ภาษาไทยไม่มีช่องว่างระหว่างคำ",
    "vi": "Tiếng Việt có dấu đầy đủ.",
    "emoji": "Family: 👨\u200d👩\u200d👧 and flags 🇺🇦.",
}


def test_seeds_come_back_unchanged(seed_texts):
    for name, text in seed_texts.items():
        # only trailing spaces (a NBSP after a sentence in 001) go
        expected = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
        assert normalise_text(text) == expected, name


@pytest.mark.parametrize("lang", sorted(CLEAN))
def test_clean_text_unchanged(lang):
    text = CLEAN[lang]
    assert normalise_text(text) == text


@pytest.mark.parametrize("lang", sorted(k for k, v in CLEAN.items() if not v.isascii()))  # ASCII cannot be mojibaked
@pytest.mark.parametrize("codec", ["sloppy-windows-1252", "latin-1"])
def test_mojibake_repaired_exactly(lang, codec):
    text = CLEAN[lang]
    broken = text.encode("utf-8").decode(codec)
    assert broken != text
    assert normalise_text(broken) == text


def test_mojibake_inside_clean_document_repaired(seed_texts):
    text = seed_texts["004_831499b3296b145f"]
    lines = text.split("\n")
    lines[0] = lines[0].encode("utf-8").decode("sloppy-windows-1252")
    assert normalise_text("\n".join(lines)) == text


def test_html_entities_unescaped_unless_markup():
    assert normalise_text("Tom &amp; Jerry &eacute;t&eacute;") == "Tom & Jerry été"
    assert normalise_text("<b>Tom &amp; Jerry</b>") == "<b>Tom &amp; Jerry</b>"
    assert normalise_text("AT&T and Q&A stay") == "AT&T and Q&A stay"


def test_whitespace_rules():
    text = "  a\r\nb\rc\u2028d\t\te  \u00a0 f\u200b\ufeffg \n\n\n\nh\x07 \n"
    assert normalise_text(text) == "a\nb\nc\nd e fg\n\n\n\nh"
    # the invisible separator some editors append to each line goes too
    assert normalise_text("Stir fry to mix well.\u2063\n\u2063\nServe hot.") == "Stir fry to mix well.\n\nServe hot."


def test_single_exotic_spaces_and_soft_hyphen_kept():
    text = "prix\u202f: 5\u00a0€, Sil\u00adben"
    assert normalise_text(text) == text


def test_joiners_kept_between_letters_dropped_elsewhere():
    assert normalise_text("می\u200cخواهم") == "می\u200cخواهم"
    assert normalise_text("abc\u200d def\u200c") == "abc def"
    assert normalise_text("\u200cمی") == "می"


def test_output_is_nfc():
    decomposed = unicodedata.normalize("NFD", CLEAN["vi"])
    assert decomposed != CLEAN["vi"]
    assert normalise_text(decomposed) == CLEAN["vi"]


def test_fast_path_skips_clean_text():
    assert not may_need_repair(CLEAN["en"])
    assert not may_need_repair("Äpfel für Bäckerei Müller, gesagt.")
    assert not may_need_repair(CLEAN["ja"])
    assert may_need_repair(CLEAN["de"].encode("utf-8").decode("latin-1"))


def test_fast_path_skips_letter_pairs_no_codec_can_have_made():
    # "öß", "ää", "çã", "ć ": two accented letters in a row are no UTF-8
    # sequence in any one of ftfy's codecs, so ftfy is not even asked
    assert not may_need_repair("Größe, süß, Häädä, Ação, może być dziś, Їжак і ґава")
    for text in ("voilÃ le travail", "Le prÃ©sident", "donâ€™t", "Ã?", "Ã\ufffd"):
        assert may_need_repair(text), text


# Characters that mojibake is made of, mixed with plain text and spaces.
_MOJIBAKE_ALPHABET = st.sampled_from(
    list("aeé ÃÂâ€™œ“”žŸ¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞß ?\ufffd\xa0&;#xй")
)


@settings(max_examples=300, deadline=None)
@given(st.text(_MOJIBAKE_ALPHABET, max_size=40) | st.text(max_size=40))
def test_fast_path_agrees_with_ftfy(text):
    expected = unicodedata.normalize("NFC", ftfy.fix_text(text, CONFIG))
    assert unicodedata.normalize("NFC", repair(text)) == expected


_ASCII = st.text(st.characters(max_codepoint=0x7F), max_size=40)


@settings(max_examples=300, deadline=None)
@given(_ASCII, st.text(_MOJIBAKE_ALPHABET, min_size=1, max_size=20) | st.text(min_size=1, max_size=20), _ASCII)
def test_damaged_stretch_of_a_line_repaired_as_ftfy_repairs_the_line(before, damaged, after):
    # ftfy is handed only the stretch around the non-ASCII characters
    line = (before + damaged + after).replace("\n", " ")
    expected = unicodedata.normalize("NFC", ftfy.fix_text(line, CONFIG))
    assert unicodedata.normalize("NFC", repair(line)) == expected


@pytest.mark.parametrize("codec", ["sloppy-windows-1252", "latin-1"])
def test_damaged_word_in_a_long_line_repaired(codec):
    clean = "In a long English line of plain text, the word Größe and the name Łódź appear once."
    broken = clean.replace("Größe", "Größe".encode("utf-8").decode(codec))
    assert broken != clean
    assert repair(broken) == clean == ftfy.fix_text(broken, CONFIG)


@pytest.mark.parametrize("codec", ["sloppy-windows-1252", "latin-1"])
@pytest.mark.parametrize("clean", ["Le café de la Mairie", "Viá»‡t Nam".encode("cp1252").decode("utf-8"),
                                   "Don’t “quote”", "Le proce\u0300s", "ab\u00e9\u0301 et \x85",
                                   "R&amp;D à Zürich"])
def test_repaired_stretch_as_fix_text_repairs_it(clean, codec):
    # A stretch that only encoding repair acts on skips fix_text's second round
    # (latin-1 mojibake is full of C1 controls, which the repair consumes);
    # one that the other steps act on (NFC after the repair, an entity) goes
    # through fix_text
    broken = "Plain words before it, then " + clean.encode("utf-8").decode(codec) + " and after."
    assert repair(broken) == ftfy.fix_text(broken, CONFIG) != broken


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(_MOJIBAKE_ALPHABET, max_size=30) | st.text(max_size=30), max_size=6))
def test_one_scan_finds_every_line_ftfy_would_change(lines):
    # repair() scans the whole text once for suspect lines; no line that the
    # per-line test says needs ftfy may be missed
    text = "\n".join(lines)
    suspects = {text[start:end] for start, end in _suspect_lines(text)}
    for line in text.split("\n"):
        if needs_repair(line):
            assert line in suspects


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.text(_MOJIBAKE_ALPHABET, max_size=60))
def test_idempotent(text):
    once = normalise_text(text)
    assert normalise_text(once) == once


# Pieces of lines whose tidying or repair reaches the line's ends or draws new
# lines: spaces of every kind, joiners, controls, escaped and mojibake newlines.
_LINE_PIECES = st.sampled_from(
    [" ", "  ", "\t", "\xa0", "\u3000", "\u200d", "\u200b", "\x0c", "\x1b", "\r", "\u2028", "&#10;", "&#13;",
     "&amp;", "<b>", "â€¨", "Ã©", "Â", "e\u0301", "ok", "Привет", "日本"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(_LINE_PIECES, max_size=5).map("".join) | st.text(_MOJIBAKE_ALPHABET, max_size=20)
                | st.text(max_size=20), max_size=8))
def test_lines_normalised_apart_as_in_the_whole_text(lines):
    # normalise_lines looks each line up, or normalises the new ones together,
    # and must give what normalising the whole text gives, whatever it has seen
    text = "\n".join(lines)
    expected = _whole_text(text)
    for forget in (True, False):  # every line new, then every line seen
        if forget:
            normalise_module._seen.clear()
        assert normalise_text(text) == expected
        assert normalise_lines(text) == expected.split("\n")


def test_remembered_lines_are_bounded(monkeypatch):
    monkeypatch.setattr(normalise_module, "LINE_LIMIT", 8)
    normalise_module._seen.clear()
    for n in range(20):
        assert normalise_text(f"line {n}\n  line {n}  b\n") == f"line {n}\nline {n} b"
        assert len(normalise_module._seen) <= 8
    assert "line 19" in normalise_module._seen and "line 0" not in normalise_module._seen


def test_line_break_made_by_repair():
    # an escaped newline or carriage return, a mojibake line separator: repaired,
    # they draw line breaks, and "\r" then "\n" is one break; the text is
    # normalised whole, as if its lines had never been seen
    for damaged, fixed in (("a&#10;b", "a\nb"), ("a â€¨ b", "a\nb"), ("a&#13;", "a")):
        for seen in (False, True):
            if not seen:
                normalise_module._seen.clear()
            text = f"  head  \n{damaged}\n\ntail "
            assert normalise_text(text) == f"head\n{fixed}\n\ntail" == _whole_text(text)
            assert normalise_lines(text) == ["head", *fixed.split("\n"), "", "tail"]
            assert damaged not in normalise_module._seen


def test_match_key_folds_for_matching_only():
    assert match_key("  ＲＥＡＤ   Also\n ") == "read also"
    assert match_key("Straße ﬁnal") == "strasse final"
    assert normalise_text("Straße ﬁnal") == "Straße ﬁnal"


def test_stage_sets_text_and_lines():
    doc = Document(id="1", text="A\r\n\r\nB  c", source=Source("x", 1))
    Normalise()(doc)
    assert doc.text == "A\n\nB c"
    assert doc.lines == ["A", "", "B c"]
