"""Work done in a forked process while the main process goes on.

After the clusters are decided, the main process has three things to do before
the run ends: write each cluster's report (which lines its copies share), judge
name variants across the clusters, and write every document. The first is
needed only by the last lines written (``clusters.jsonl``), and the other two do
not need it at all. On two cores with the workers done, one core would sit idle
through all three; so the reports are made by forked copies of the main
process (two, half the clusters each: one alone finished well after the
main process at 100k documents), which hold everything they read, and
collected when they are needed.

The clustering itself can lend work out the same way: :class:`Helpers` are
forked copies that run one function over many arguments, side by side, while
the main process waits (see :func:`normalize.dedup.cluster.greedy_verified`).

Only where ``fork`` exists (a forked child shares the parent's memory, so
nothing is pickled on the way in); elsewhere, and whenever the child fails,
the work is done in the main process, with the same result.
"""
from __future__ import annotations

import gc
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Optional, Sequence, TypeVar

from .local import _result

T = TypeVar("T")


def run_aside(make: Callable[[], T]) -> Callable[[], T]:
    """Start ``make()`` in a forked process; return the function that waits for
    its result. Without ``fork``, ``make`` runs at once, here."""
    if "fork" not in multiprocessing.get_all_start_methods():
        result = make()
        return lambda: result
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    # a daemon: if the main process stops before collecting, the child goes too
    child = ctx.Process(target=_send, args=(make, send), daemon=True)
    try:
        child.start()
    except (AssertionError, OSError):  # a daemon process may not fork; or no memory for one
        receive.close()
        send.close()
        result = make()
        return lambda: result
    send.close()

    def wait() -> T:
        try:
            ok, result = receive.recv()
        except (EOFError, OSError):  # the child died (killed, out of memory)
            ok, result = False, None
        finally:
            receive.close()
            child.join()
        return result if ok else make()  # a failure is met again here, and raised as itself

    return wait


def _send(make: Callable[[], T], send) -> None:
    try:
        result = (True, make())
    except BaseException:  # the parent makes it again and reports the error properly
        result = (False, None)
    send.send(result)
    send.close()


class Helpers:
    """``processes`` forked copies of this process, each able to call
    ``function`` (any callable: it is inherited, not pickled); only the
    arguments and the results cross. :meth:`map` gives the results in order.
    Without ``fork``, or once a helper has failed, the calls are made here."""

    def __init__(self, function: Callable[[Any], Any], processes: int) -> None:
        self.function = function
        self.pool: Optional[ProcessPoolExecutor] = None
        if processes > 1 and "fork" in multiprocessing.get_all_start_methods():
            self.pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                                            initializer=_adopt, initargs=(function,))

    def map(self, arguments: Sequence[Any]) -> list[Any]:
        return self.submit(arguments)()

    def submit(self, arguments: Sequence[Any]) -> Callable[[], list[Any]]:
        """:meth:`map`, started now: returns the function that waits for the
        results. Calls submitted later queue behind these."""
        if self.pool is None:
            results = [self.function(a) for a in arguments]
            return lambda: results
        futures = [self.pool.submit(_call, a) for a in arguments]

        def results() -> list[Any]:
            try:
                return [_result(f, self.pool) for f in futures]
            except Exception:  # a helper died or failed: the work is done here, and a failure raised as itself
                self.close()
                return [self.function(a) for a in arguments]

        return results

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> "Helpers":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_function: Optional[Callable[[Any], Any]] = None


def _adopt(function: Callable[[Any], Any]) -> None:
    global _function
    _function = function
    # the collector would otherwise go through every object inherited from the
    # main process, and copy each page it writes to (see local._init)
    gc.freeze()
    # as the pool's workers do (see local._init): Ctrl-C is the main process's
    # to handle, and the CLI's SIGTERM handler is not a helper's
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _call(argument: Any) -> Any:
    assert _function is not None
    return _function(argument)
