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

Only where ``fork`` exists (a forked child shares the parent's memory, so
nothing is pickled on the way in); elsewhere, and whenever the child fails,
the work is done in the main process, with the same result.
"""
from __future__ import annotations

import multiprocessing
from typing import Callable, TypeVar

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
