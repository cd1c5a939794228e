"""Build hook: compile the per-line hot paths with mypyc, and the per-character
loops with Cython (see normalize/compiled.py).

Everything else about the package is declared in pyproject.toml. The modules
stay importable as pure Python: set NORMALIZE_PURE_PYTHON=1 to install without
compiling, and a failed compile (no C compiler) skips the extension.
"""
import os
import runpy

from setuptools import setup

compiled = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "normalize", "compiled.py"))


def extensions():
    if compiled["pure_requested"]():
        return []
    from mypyc.build import mypycify

    from Cython.Build import cythonize

    modules = mypycify(["--ignore-missing-imports", "--follow-imports=silent", *compiled["MODULES"]], opt_level="3")
    modules += cythonize(list(compiled["KERNELS"]), quiet=True)
    for module in modules:
        module.optional = True  # no compiler: the pure-Python modules serve
    return modules


setup(ext_modules=extensions())
