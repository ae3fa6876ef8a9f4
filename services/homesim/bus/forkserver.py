"""A process that has imported what a device or a light service needs, once, and forks each of
a live home's processes from itself: ``python -m homesim.bus.forkserver`` (started by
``homesim up``; not a command of its own).

Why: every process of a home importing numpy, pydantic, autobahn and the kinds' modules for
itself costs each of them ~0.3-0.5 s of CPU (20 of them on 2 cores: seconds before the first
tick) and ~30 MB of private memory. Forked from one process that imported them, they share
those pages with it (copy on write; ``gc.freeze`` keeps the collector from touching them),
as PostgreSQL's backends or Android's zygote do. Each forked process is still a process of
its own, with its own session, log, environment and ``ps`` line
(``python -m homesim.bus.device --kind tv ...``).

The protocol, one JSON line each way on stdin/stdout: ``{"module": M, "args": [...], "env":
{...}, "log": PATH}`` asks for a process that runs ``python -m M args`` with that environment
and output; the answer is ``{"pid": N}`` or ``{"error": "..."}``. The process is forked twice
so that it becomes a child of the supervisor (``homesim up`` is a child subreaper,
``PR_SET_CHILD_SUBREAPER``), which waits for it, restarts it and ends it like any child, and
a killed fork server takes none of them with it. A process ends when ``homesim up`` dies
(``PR_SET_PDEATHSIG``, set once it is the supervisor's). Linux only; elsewhere ``homesim up``
starts every process with ``exec`` as before.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import importlib
import select
import signal
import sys
import time
import traceback

#: Modules run from the fork server (``python -m`` of these); anything else is started with exec.
MODULES = ("homesim.bus.device", "homesim.bus.services")
#: The environment variable whose value gives a forked process room for its own environment
#: in ``/proc/<pid>/environ`` (the fork server's is rewritten in place, see :func:`retitle`).
ROOM_VARIABLE = "HOMESIM_FORKSERVER_ROOM"
#: The argument that gives a forked process room for its own command line.
ROOM_ARGUMENT = "--room"
ROOM_BYTES = 8192

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def preload() -> None:
    """Import what every forked process needs, before any fork (never numba, pandas, SciPy,
    pvlib: the kernels run plain, ``HOMESIM_JIT=0``)."""
    os.environ["HOMESIM_JIT"] = "0"
    import autobahn.asyncio.component  # noqa: F401
    import autobahn.wamp.exception  # noqa: F401
    import autobahn.wamp.types  # noqa: F401

    import homesim.bus.authorizer  # noqa: F401
    import homesim.bus.clock  # noqa: F401
    import homesim.bus.controller  # noqa: F401
    import homesim.bus.device  # noqa: F401
    import homesim.bus.metrics  # noqa: F401
    import homesim.bus.recorder  # noqa: F401
    import homesim.bus.services  # noqa: F401
    import homesim.bus.session  # noqa: F401
    import homesim.bus.watcher  # noqa: F401


def warm() -> None:
    """Compute the home's first block (``HOMESIM_HOME``, with the run's step, start and seed)
    into :data:`homesim.bus.adapters.WARM`, once for every process forked after: the sun, the
    weather and each PV array would each compute the sun's path and the clouds of a week for
    themselves, while the router starts. Nothing on a problem: each process then computes its
    own and says what is wrong."""
    from pathlib import Path

    from homesim.bus.adapters import WARM
    from homesim.live import compile_home, load_live_home

    path = os.environ.get("HOMESIM_HOME")
    if not path:
        return
    try:
        compile_home(load_live_home(Path(path))).exogenous(0, cache=WARM)
    except Exception:  # noqa: BLE001 - see above
        WARM.clear()


def subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux): the processes the fork
    server forks become its children. False where that can't be done."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1) == 0
    except (OSError, AttributeError):
        return False


def _area(kind: str) -> tuple[int, int]:
    """This process's command line (``arg``) or environment (``env``) memory: (start, end)."""
    fields = open("/proc/self/stat").read().rsplit(")", 1)[1].split()
    first = {"arg": 45, "env": 47}[kind]  # fields 48-51 of proc(5), counted from field 3
    return int(fields[first]), int(fields[first + 1])


def _overwrite(kind: str, strings: list[str]) -> None:
    start, end = _area(kind)
    room = end - start
    data = b""
    for item in strings:
        encoded = item.encode(errors="replace") + b"\0"
        if len(data) + len(encoded) > room:
            break  # what fits, whole entries only
        data += encoded
    ctypes.memmove(start, data + b"\0" * (room - len(data)), room)


def retitle(argv: list[str], env: dict[str, str]) -> None:
    """Show ``argv`` and ``env`` in ``/proc/self/cmdline`` and ``environ`` (what ``ps`` and a
    reader of /proc see), written over the fork server's, as PostgreSQL's backends do. The C
    library's environment is moved off that memory first (``os.environ`` is rebuilt)."""
    os.environ.clear()
    os.environ.update(env)
    try:
        _overwrite("arg", argv)
        _overwrite("env", [f"{k}={v}" for k, v in env.items()])
    except (OSError, ValueError, IndexError):
        pass


def _prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value)
    except (OSError, AttributeError):
        pass


def _run(request: dict, supervisor: int, intermediate: int) -> None:
    """In the forked process: become the process asked for, run it, exit with its status."""
    code = 1
    try:
        os.setsid()
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.closerange(3, 1 << 16)
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        while os.getppid() == intermediate:  # until it is the supervisor's child
            time.sleep(0.001)
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)  # it ends with the supervisor
        if os.getppid() != supervisor:
            os._exit(1)  # the supervisor died meanwhile
        module, args = request["module"], [str(a) for a in request["args"]]
        env = {str(k): str(v) for k, v in request["env"].items()}
        env.setdefault("HOMESIM_JIT", "0")  # as the modules were imported
        retitle([request["python"], "-m", module, *args], env)
        sys.argv = [module, *args]
        gc.unfreeze()
        code = importlib.import_module(module).main()  # as its ``if __name__ == "__main__"`` does
        code = code if isinstance(code, int) else 0
    except SystemExit as end:
        code = end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
        if end.code is not None and not isinstance(end.code, int):
            print(end.code, file=sys.stderr)
    except KeyboardInterrupt:
        code = 130
    except BaseException:  # noqa: BLE001 - as python itself would: the traceback in the log
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def spawn(request: dict) -> int:
    """Fork the process asked for (twice: it ends up the supervisor's); its pid."""
    supervisor = os.getppid()
    reader, writer = os.pipe()
    intermediate = os.fork()
    if intermediate == 0:
        os.close(reader)
        try:
            me = os.getpid()
            pid = os.fork()
            if pid == 0:
                os.close(writer)
                _run(request, supervisor, intermediate=me)
            os.write(writer, str(pid).encode())
        finally:
            os._exit(0)
    os.close(writer)
    answer = b""
    while chunk := os.read(reader, 64):
        answer += chunk
    os.close(reader)
    os.waitpid(intermediate, 0)  # gone: the process is the supervisor's child from here on
    if not answer:
        raise RuntimeError("the fork failed")
    return int(answer)


def serve() -> int:
    """Answer requests until stdin closes (``homesim up`` ended)."""
    retitle([sys.executable, "-m", "homesim.bus.forkserver"],
            {k: v for k, v in os.environ.items() if k != ROOM_VARIABLE})
    preload()
    warm()
    gc.collect()
    gc.freeze()  # the collector never writes to what the forked processes share
    out = sys.stdout
    out.write(json.dumps({"ready": os.getpid()}) + "\n")
    out.flush()
    buffered = b""
    while True:
        readable, _, _ = select.select([0], [], [], 1.0)
        if not readable:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            return 0
        buffered += chunk
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            try:
                request = json.loads(line)
                if request.get("module") not in MODULES:
                    raise ValueError(f"module {request.get('module')!r} is not one of {', '.join(MODULES)}")
                answer = {"pid": spawn(request)}
            except (ValueError, KeyError, TypeError, OSError, RuntimeError) as error:
                answer = {"error": str(error)}
            out.write(json.dumps(answer) + "\n")
            out.flush()


if __name__ == "__main__":
    sys.exit(serve())


# --- the supervisor's side ---------------------------------------------------------------


class Forked:
    """A process the fork server made, which is the supervisor's child: the part of
    ``subprocess.Popen`` that ``homesim up`` uses (``pid``, ``returncode``, ``poll``, ``wait``,
    ``terminate``, ``kill``)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # not a child after all (no subreaper): treat as gone
                self.returncode = 255
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import subprocess

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, number: int) -> None:
        if self.poll() is None:  # never a pid that was reaped (and may be someone else's now)
            os.kill(self.pid, number)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """The supervisor's handle on a fork server, started when first needed and again if it
    died. :meth:`start` returns None when a process can't be forked (then exec it)."""

    def __init__(self, env: dict[str, str], log_path, with_parent) -> None:
        self.env = env
        self.log_path = log_path
        self.with_parent = with_parent
        self.process = None
        self.ready = False
        #: ``HOMESIM_FORKSERVER=0``: every process started with exec (as on other systems).
        self.enabled = os.environ.get("HOMESIM_FORKSERVER", "1") != "0" and subreaper()

    def launch(self) -> None:
        """Start the fork server (it imports for a second or so meanwhile); not waited for."""
        import subprocess

        if not self.enabled or (self.process is not None and self.process.poll() is None):
            return
        room = "x" * ROOM_BYTES
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "homesim.bus.forkserver", ROOM_ARGUMENT, room],
                env={**self.env, ROOM_VARIABLE: room}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=log, start_new_session=True, preexec_fn=self.with_parent)
        self.ready = False

    def _server(self):
        if self.process is None or self.process.poll() is not None:
            self.launch()
        if not self.ready:
            if "ready" not in self._answer(120.0):
                raise RuntimeError(f"the fork server did not start; see {self.log_path}")
            self.ready = True
        return self.process

    def _answer(self, timeout_s: float) -> dict:
        readable, _, _ = select.select([self.process.stdout], [], [], timeout_s)
        line = self.process.stdout.readline() if readable else b""
        if not line:
            self.process.kill()
            self.process.wait()
            raise RuntimeError("no answer")
        return json.loads(line)

    def start(self, module: str, args: list[str], env: dict[str, str], log_path) -> Forked | None:
        """Fork ``python -m module args`` with ``env``, output appended to ``log_path``."""
        if not self.enabled or module not in MODULES or env.get("HOMESIM_JIT", "0") != "0" \
                or env.get("PYTHONPATH") != self.env.get("PYTHONPATH"):
            return None
        try:
            server = self._server()
            request = {"module": module, "args": args, "env": env, "log": str(log_path), "python": sys.executable}
            server.stdin.write(json.dumps(request).encode() + b"\n")
            server.stdin.flush()
            answer = self._answer(60.0)
        except (OSError, RuntimeError, ValueError):
            return None
        return Forked(answer["pid"]) if "pid" in answer else None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(5)
            except Exception:  # noqa: BLE001
                self.process.kill()
                self.process.wait()
