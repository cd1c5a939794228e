"""The local engine: order, per-document failure isolation, batch stages."""
from __future__ import annotations

from normalize.document import Document, Source
from normalize.engine.local import LocalEngine
from normalize.errors import Rejection


class Upper:
    name = "upper"

    def __call__(self, doc):
        if "boom" in doc.text:
            raise ValueError("cannot shout this")
        doc.text = doc.text.upper()
        return doc


class BatchLength:
    """Records whether it ran batched; fails the whole batch if any text is 'bad'."""

    name = "batch-length"

    def __call__(self, doc):
        doc.work["length"] = len(doc.text)
        doc.work["batched"] = False
        return doc

    def batch(self, docs):
        if any(d.text == "BAD" for d in docs):
            raise RuntimeError("one bad document spoils a vectorised batch")
        for d in docs:
            d.work["length"] = len(d.text)
            d.work["batched"] = True
        return docs


def docs(texts):
    return [Document(id=str(i), text=t, source=Source("mem", i + 1)) for i, t in enumerate(texts)]


def test_order_is_kept_and_one_failure_rejects_one_document():
    texts = [f"text {i}" if i != 57 else "boom" for i in range(300)]
    for workers in (1, 2):
        out = list(LocalEngine(workers).map([Upper(), BatchLength()], docs(texts)))
        assert len(out) == 300
        assert isinstance(out[57], Rejection) and "upper failed: ValueError" in out[57].reason
        assert out[57].line == 58 and out[57].id == "57"
        assert [d.text for i, d in enumerate(out) if i != 57] == [f"TEXT {i}" for i in range(300) if i != 57]
        assert all(d.work["batched"] for i, d in enumerate(out) if i != 57)


def test_a_failing_batch_falls_back_to_documents_one_by_one():
    out = list(LocalEngine(1).map([BatchLength()], docs(["ok", "BAD", "fine"])))
    assert [d.work["length"] for d in out] == [2, 3, 4]
    assert not any(d.work["batched"] for d in out)  # the whole batch went the slow, safe way
