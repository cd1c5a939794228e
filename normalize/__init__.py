"""normalize: clean, language-tag and deduplicate scraped multilingual news text.

The package follows the flow of the data::

    read/ -> normalise/ -> strip/ -> detect/ -> dedup/ -> write/, report/

Library use::

    from normalize import clean_text, Pipeline, Settings, run

    clean_text("ua en ru\\n\\nHeadline\\n...").text      # one text, cleaned
    for record in Pipeline(command="clean").run(records):  # records: dicts with "text"
        ...
    run(["corpus.jsonl.zst"], "out/")                       # the whole job, like the CLI
"""
from __future__ import annotations

__version__ = "0.1.0"

import warnings  # noqa: E402

from . import compiled as _compiled  # noqa: E402

if _compiled.pure_requested():
    _compiled.use_sources()
elif _stale := _compiled.stale():
    warnings.warn(f"compiled modules older than their source (reinstall with pip install -e ., "
                  f"or set {_compiled.PURE_ENV}=1): {', '.join(_stale)}", stacklevel=2)

from .document import Artefact, Document, Removal, Source  # noqa: E402
from .errors import Rejection, RunError  # noqa: E402
from .settings import Settings  # noqa: E402


def clean_text(text: str):
    """Normalise and strip one text; returns ``Cleaned(text, removed)``."""
    from .strip import clean_text as _clean

    return _clean(text)


def __getattr__(name: str):
    # Heavier pieces load on first use, so ``import normalize`` stays cheap.
    if name == "Pipeline":
        from .pipeline import Pipeline

        return Pipeline
    if name in ("run", "stream"):
        from . import api

        return getattr(api, name)
    raise AttributeError(name)


__all__ = [
    "Artefact", "Document", "Removal", "Source", "Rejection", "RunError", "Settings",
    "clean_text", "Pipeline", "run", "stream", "__version__",
]
