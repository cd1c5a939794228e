"""The bounded memories of line facts (normalize/memo.py) and the stages' use of them."""
from __future__ import annotations

from normalize.memo import forget_older_half, remember


def test_a_full_memory_forgets_its_older_half_in_place():
    memory: dict = {}
    same = memory
    for i in range(10):
        assert remember(memory, f"line {i}", i, 4) == i
        assert len(memory) <= 4
    assert memory is same  # callers hold the dict itself
    # 0..3 fill it; 4 comes after 0 and 1 go, 6 after 2 and 3, 8 after 4 and 5
    assert list(memory) == ["line 6", "line 7", "line 8", "line 9"]


def test_forgetting_keeps_the_newer_half_in_order():
    memory = {k: k * 2 for k in range(7)}
    forget_older_half(memory)
    assert memory == {3: 6, 4: 8, 5: 10, 6: 12}
    assert list(memory) == [3, 4, 5, 6]


def test_a_key_put_again_holds_its_latest_value():
    memory: dict = {}
    remember(memory, "a", 1, 8)
    remember(memory, "a", 2, 8)
    assert memory == {"a": 2}


def test_measured_lines_are_the_same_whatever_the_memory_forgot(monkeypatch, seed_texts):
    """A line measured again after its entry was forgotten gets what it got first
    (the memory changes how soon an answer is ready, never the answer)."""
    from normalize.strip import features

    lines = [line for text in seed_texts.values() for line in text.split("\n") if line]
    assert len(set(lines)) > 40
    expected = [features._look_at(line) for line in lines]
    monkeypatch.setattr(features, "LOOKS_ROOM", 16)
    features._LOOKS.clear()
    try:
        for _ in range(2):
            assert [features._look(line) for line in lines] == expected
            assert len(features._LOOKS) <= 16
    finally:
        features._LOOKS.clear()
