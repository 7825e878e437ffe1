"""Reference worker for spindle's line protocol (docs/protocol.md).

Copy this file next to your code; it needs only the standard library.

    from spindle_worker import serve, aborted

    def resize(path, width):
        ...

    serve({"resize": resize})

`serve` reads tasks from stdin and writes results to stdout, one JSON message
per line, until stdin ends. Each task runs with its arguments (`args` of
`pool.run(name, args)`); what it returns is its result, what it raises becomes
the rejection of the caller's promise (name, message, traceback, and `code` if
the exception has one).

- `print()` goes to stderr while `serve` runs: stdout belongs to the protocol.
- Tasks run in arrival order, at most SPINDLE_CONCURRENCY at a time (threads),
  and each result is written before the next task starts: the pool relies on
  this to never run a task twice after a crash.
- `aborted()` tells a running task that the caller aborted it or it timed out
  (check it in long loops); `check_aborted()` raises `TaskAborted` instead.
- The worker exits when stdin ends (the pool stops it), and when its parent
  process is gone, even while a task keeps it busy.
"""

import json
import os
import queue
import sys
import threading
import traceback

__all__ = ["serve", "aborted", "check_aborted", "TaskAborted"]

_local = threading.local()
_ORPHAN_POLL_S = 0.5


class TaskAborted(Exception):
    """Raised by check_aborted() in a task that was aborted or timed out."""

    code = "ERR_TASK_ABORTED"


class _Task:
    __slots__ = ("id", "name", "args", "abort")

    def __init__(self, message):
        self.id = message["id"]
        self.name = message["name"]
        self.args = message.get("args") or []
        self.abort = threading.Event()


def aborted():
    """True when the running task was aborted (or timed out) by the pool."""
    task = getattr(_local, "task", None)
    return task is not None and task.abort.is_set()


def check_aborted():
    """Raises TaskAborted when the running task was aborted."""
    if aborted():
        raise TaskAborted("the task was aborted")


def _error(exc, with_stack=True):
    err = {"name": type(exc).__name__, "message": str(exc)}
    if with_stack:
        err["stack"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    code = getattr(exc, "code", None)
    if isinstance(code, (str, int)) and not isinstance(code, bool):
        err["code"] = code
    return err


class _Channel:
    """stdout, one message per line, written whole and flushed under a lock."""

    def __init__(self, stream):
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message):
        line = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def answer(self, task, run):
        try:
            value = run()
            try:
                self.send({"type": "result", "id": task.id, "value": value})
            except (TypeError, ValueError) as exc:  # not JSON: a set, bytes, NaN...
                raise TypeError(f"the result of task '{task.name}' is not JSON: {exc}") from None
        except Exception as exc:  # the task failed: the caller's promise rejects
            self.send({"type": "error", "id": task.id, "error": _error(exc)})


def _call(tasks, task):
    fn = tasks.get(task.name)
    if fn is None:
        raise KeyError(f"this worker has no task '{task.name}'")
    return fn(*task.args)


def _watch_parent():
    """Exits once orphaned: a busy task never sees stdin end."""
    parent = os.getppid()

    def loop():
        while True:
            threading.Event().wait(_ORPHAN_POLL_S)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=loop, name="spindle-orphan-watch", daemon=True).start()


def serve(tasks):
    """Serves `tasks` (a dict of name -> callable, or a module) until stdin ends."""
    if not isinstance(tasks, dict):
        tasks = {
            name: fn
            for name, fn in vars(tasks).items()
            if callable(fn) and not name.startswith("_") and getattr(fn, "__module__", None) == tasks.__name__
        }
    channel = _Channel(sys.stdout)
    sys.stdout = sys.stderr  # a stray print() must not corrupt the protocol
    concurrency = max(1, int(os.environ.get("SPINDLE_CONCURRENCY", "1")))
    pending = queue.Queue()  # tasks in arrival order; None = stop
    known = {}  # id -> task, queued or running
    known_lock = threading.Lock()

    def run_tasks():
        while True:
            task = pending.get()
            if task is None:
                return
            if task.abort.is_set():  # aborted before it started: answer without running
                channel.send({"type": "error", "id": task.id, "error": {"name": "TaskAborted", "message": "aborted before it started", "code": "ERR_TASK_ABORTED"}})
            else:
                _local.task = task
                channel.answer(task, lambda: _call(tasks, task))
                _local.task = None
            with known_lock:
                known.pop(task.id, None)

    runners = [threading.Thread(target=run_tasks, name=f"spindle-task-{i}", daemon=True) for i in range(concurrency)]
    for r in runners:
        r.start()
    _watch_parent()
    channel.send({"type": "ready", "tasks": sorted(tasks)})
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        kind = message.get("type")
        if kind == "task":
            task = _Task(message)
            with known_lock:
                known[task.id] = task
            pending.put(task)
        elif kind == "abort":
            with known_lock:
                task = known.get(message.get("id"))
            if task is not None:
                task.abort.set()
    # stdin ended: finish what is queued and running, then exit
    for _ in runners:
        pending.put(None)
    for r in runners:
        r.join()
    sys.stderr.flush()
