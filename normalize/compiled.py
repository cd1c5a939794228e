"""Which modules are compiled to C at install, and the escape hatch from them.

Every line of every page is measured and judged (:mod:`normalize.strip`), its
language and its translation traces looked for (:mod:`normalize.detect`), and
that per-line Python is what bounds the speed. The modules below are plain,
type-annotated Python that ``setup.py`` compiles with mypyc when the package is
installed: the same code, run faster, with the same results (tests compare the
two, down to the bytes of a run's outputs). Without a C compiler, or with
``NORMALIZE_PURE_PYTHON=1`` at install time, they stay pure Python.

Compiled code takes its annotations at their word, and someone editing these
modules should know how:

* an annotation is checked when a value crosses it: a function that says it
  takes a ``list`` fails on a tuple, an ``int`` on a numpy integer (annotate
  what really comes: ``Sequence``, ``Any``); ``mypy`` on the modules (as
  ``setup.py`` runs it) must pass;
* a tuple of known items (``tuple[int, str]``) is unboxed, and made anew
  whenever it leaves compiled code: a constant returned that way is never the
  same object twice, so one compared by identity is annotated a plain ``tuple``;
* a compiled class is unpickled through its ``__init__``, and a frozen dataclass
  cannot be filled field by field: one that crosses between processes has a
  ``__reduce__``;
* mypyc takes ``sum(a) + sum(b)`` of floats for ints: each sum on its own;
* mypyc fails on a method under ``functools.lru_cache`` (an internal error):
  a cached function is a module's;
* what is looked up for every line of every page is remembered in a dict held
  in a ``Final`` module constant, which the compiled code looks in itself (a C
  static; see :mod:`normalize.memo`): an ``lru_cache`` is a Python object,
  called through, its entry moved on every look-up;

and two things follow for the workflow:

* a compiled module shadows its source, so an edit takes effect only after
  reinstalling (``pip install -e .``); in a checkout, :func:`stale` names the
  compiled modules older than their source, and importing :mod:`normalize`
  warns about them;
* ``NORMALIZE_PURE_PYTHON=1`` at run time imports the sources instead
  (:func:`use_sources`), e.g. to compare, debug or profile them.

A few loops over every character of a batch (folding a dedup key, scoring a
line's n-grams; see the kernels' own docstrings) are written in Cython instead
(:data:`KERNELS`): numpy does them as a dozen whole-array passes, C as one. Each kernel mirrors a numpy function that
stays in the package, used when the kernel is not built and compared with it in
the tests. ``NORMALIZE_PURE_PYTHON=1`` leaves the kernels out as well.

This file is read by ``setup.py`` before the package is installed, so it
imports nothing from the package.
"""
from __future__ import annotations

import importlib.machinery
import os
import sys
from pathlib import Path

# Paths relative to the repository root (setup.py's folder).
MODULES = (
    "normalize/memo.py",
    "normalize/normalise/__init__.py",
    "normalize/normalise/whitespace.py",
    "normalize/strip/__init__.py",
    "normalize/strip/features.py",
    "normalize/strip/layout.py",
    "normalize/strip/lexicon.py",
    "normalize/strip/rules.py",
    "normalize/detect/names.py",
    "normalize/detect/artefact_page.py",
    "normalize/detect/artefact_residue.py",
    "normalize/detect/artefact_switcher.py",
    "normalize/detect/artefact_wire.py",
    "normalize/detect/artefacts.py",
    "normalize/detect/translation.py",
    "normalize/detect/language.py",
    "normalize/detect/langid/evidence.py",
    "normalize/detect/langid/judge.py",
    "normalize/detect/langid/memo.py",
    "normalize/detect/langid/scorer.py",
    "normalize/strip/corpus.py",
    "normalize/write/outputs.py",
    "normalize/write/records.py",
    "normalize/write/summary.py",
)

# Cython sources: loops over every character of a batch, each mirroring a numpy
# function that serves when the kernel is not built (see normalize/dedup/kernels.pyx).
KERNELS = (
    "normalize/dedup/kernels.pyx",
    "normalize/detect/langid/kernels.pyx",
    "normalize/strip/kernels.pyx",
)

PURE_ENV = "NORMALIZE_PURE_PYTHON"
_KERNEL_NAMES = frozenset(k.removesuffix(".pyx").replace("/", ".") for k in KERNELS)
_ROOT = Path(__file__).resolve().parent.parent


def _binary(source: Path) -> Path | None:
    """The compiled extension beside ``source``, if there is one."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        binary = source.with_name(source.stem + suffix)
        if binary.exists():
            return binary
    return None


def compiled(modules: tuple[str, ...] = MODULES) -> list[str]:
    """The modules of :data:`MODULES` (or of ``modules``) that have a compiled copy installed."""
    return [m for m in modules if _binary(_ROOT / m) is not None]


def stale() -> list[str]:
    """Compiled modules whose source changed after they were compiled, in a
    git checkout (an installed wheel's files carry no such history: pip
    writes them in any order)."""
    if not (_ROOT / ".git").exists():
        return []
    out = []
    for module in MODULES + KERNELS:
        source = _ROOT / module
        binary = _binary(source)
        if binary is not None and source.exists() and source.stat().st_mtime > binary.stat().st_mtime:
            out.append(module)
    return out


class _SourcesOnly:
    """Meta path finder: ``normalize.*`` modules load from their ``.py`` files."""

    def find_spec(self, name, path, target=None):
        if name in _KERNEL_NAMES:  # C only: its importer falls back to numpy
            raise ModuleNotFoundError(f"{name} is left out ({PURE_ENV} is set)", name=name)
        if not name.startswith("normalize.") or not path:
            return None
        for entry in path:
            finder = importlib.machinery.FileFinder(
                entry, (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES))
            spec = finder.find_spec(name)
            if spec is not None and spec.loader is not None:
                return spec
        return None


def use_sources() -> None:
    """Import the package's modules from source from now on (idempotent)."""
    if not any(isinstance(f, _SourcesOnly) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourcesOnly())


def pure_requested() -> bool:
    return os.environ.get(PURE_ENV, "") not in ("", "0")
