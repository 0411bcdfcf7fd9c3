# worker.py — one Python worker of a site's pool (runtime/python/PythonPool.h): it imports the
# flow's Python task modules once, then runs calls until the run closes its socket. Embedded in
# xdmlc and run as `python3 -c`; it talks to the run over fd 3 (a socket) and shares fd 4 (the
# arena, a memfd) for tensors, so arrays cross without a copy through the socket.
#
# Frames are a little-endian u32 length and a marshal body:
#   run -> worker  (1, sys_path, [(name, module, function)], parent_pid)     set-up
#                  (0, task, args, tensors, arena_size, spin, maps, forget)    a call
#   worker -> run  (3, pid, [None | error of each task's import])            ready
#                  (2, stream, text)                                          print output
#                  (0, result, tensors, arena_size)                           a call's result
#                  (1, type, message, file, line, traceback)                  a call's exception
# A tensor stands as None in args, and `tensors` lists (path, dtype, shape, offset, block): its
# place (indexes and keys from the top) and its bytes, in the arena (block -1) or in a shared
# block of the run's own memory (SharedBlocks.h). `maps` lists the (id, size) of the blocks whose
# descriptors came with the message, in order; `forget` the blocks to unmap. In a result it stands as the
# bytes TENSOR_MARK + its index in `tensors`, a list of (dtype, shape, offset): XDML takes no
# other bytes, and the worker need not tell its caller where each array was.
import array
import io
import marshal
import mmap
import os
import socket
import struct
import sys
import threading
import traceback

SOCKET, ARENA = 3, 4
TENSOR_MARK = b"\x00XDML-tensor"
_header = struct.Struct("<I")
_DONTWAIT = socket.MSG_DONTWAIT
_FDS_SPACE = socket.CMSG_SPACE(253 * array.array("i").itemsize)


_inbox = bytearray()
_fds = []     # descriptors received, not yet mapped
_blocks = {}  # shared block id -> its read-only mapping
_socket = None  # fd 3 as a socket object (main), for non-blocking reads
# Reads tried without blocking before one that blocks, as the run's last call asked: a worker
# called again within some tens of microseconds (a stream of calls) answers without being put
# to sleep and woken, which costs more than the call itself on a virtual machine. The run asks
# for it only while the machine has cores to spare (PythonPool.cpp).
_spin_reads = 0


def _receive():
    """The next frame's body: one read() per call as a rule (a header and a small body come
    together); more only for a long message."""
    while len(_inbox) < 4 or len(_inbox) < 4 + _header.unpack_from(_inbox)[0]:
        want = max(1 << 16, 4 + _header.unpack_from(_inbox)[0] - len(_inbox)) if len(_inbox) >= 4 else 1 << 16
        got = None
        try:
            for _ in range(_spin_reads):
                try:
                    got = _socket.recvmsg(want, _FDS_SPACE, _DONTWAIT)
                    break
                except BlockingIOError:
                    pass
            if got is None:
                got = _socket.recvmsg(want, _FDS_SPACE)
        except OSError:
            got = (b"", [], 0, None)  # reset: the run closed the socket with our answer unread
        chunk, ancillary = got[0], got[1]
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
                _fds.extend(fds)
        if not chunk:
            os._exit(0)  # the run is gone or done
        _inbox.extend(chunk)
    n = _header.unpack_from(_inbox)[0]
    body = bytes(_inbox[4:4 + n])
    del _inbox[:4 + n]
    return marshal.loads(body)


_sending = threading.RLock()  # a thread the function started may print while the answer goes


def _send(message):
    body = marshal.dumps(message)
    data = _header.pack(len(body)) + body
    view = memoryview(data)
    with _sending:
        try:
            while view:
                view = view[os.write(SOCKET, view):]
        except OSError:
            os._exit(0)  # the run is gone: nobody is left to answer


class _Printed:
    """sys.stdout and sys.stderr: each whole line goes to the run's log."""

    def __init__(self, stream):
        self.stream, self.pending = stream, ""

    def write(self, text):
        text = str(text)
        with _sending:
            self.pending += text
            if "\n" in self.pending:
                lines, self.pending = self.pending.rsplit("\n", 1)
                _send((2, self.stream, lines))
        return len(text)

    def flush(self):
        with _sending:
            if self.pending:
                _send((2, self.stream, self.pending))
                self.pending = ""

    def isatty(self):
        return False

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def fileno(self):
        raise io.UnsupportedOperation("the run's log has no file descriptor")

    def writable(self):
        return True

    encoding = "utf-8"
    errors = "replace"


def _error(exc, module_files=()):
    """(type, message, file, line, traceback) of an exception: the innermost frame in one of
    the flow's modules, else the innermost frame."""
    if isinstance(exc, SyntaxError) and exc.filename:
        # The place is the code that does not parse, not the import machinery that read it.
        text = "".join(traceback.format_exception_only(type(exc), exc))
        return (type(exc).__name__, exc.msg or str(exc), exc.filename, exc.lineno or 0, text[-4000:])
    frames = traceback.extract_tb(exc.__traceback__)
    where = None
    for frame in frames:
        if os.path.abspath(frame.filename) in module_files:
            where = frame
    if where is None:  # the innermost frame that is not the worker's or the import system's
        for frame in frames:
            if not frame.filename.startswith("<") and frame.filename != "<string>":
                where = frame
    if where is None and frames:
        where = frames[-1]
    file, line = (where.filename, where.lineno or 0) if where else ("", 0)
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    name = type(exc).__qualname__
    if type(exc).__module__ not in ("builtins", "__main__"):
        name = type(exc).__module__ + "." + name
    return (name, str(exc), file, line, text[-4000:])


class Arena:
    def __init__(self):
        self.size, self.map = 0, None

    def ensure(self, size):
        if size > self.size:
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
            self.map = mmap.mmap(ARENA, size, flags=flags)
            self.size = size

    def grow(self, size):
        size = max(size, 2 * self.size)
        size = (size + (2 << 20) - 1) // (2 << 20) * (2 << 20)
        os.ftruncate(ARENA, size)
        self.ensure(size)


class Result:
    """A result made plain: NumPy values to arrays in the arena or Python scalars."""

    def __init__(self, arena, start, np):
        self.arena, self.offset, self.np, self.tensors = arena, start, np, []

    def plain(self, value, path):
        np = self.np
        kind = type(value)
        if value is None or kind in (bool, int, float, str):
            return value
        if np is not None:
            if isinstance(value, np.ndarray):
                return self.tensor(value, path)
            if isinstance(value, np.generic):
                return self.plain(value.item(), path)
        # Subclasses (np.float64 is a float, an IntEnum an int): marshal takes the exact types only.
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, str):
            return str(value)
        if isinstance(value, (bytes, bytearray)):
            raise TypeError("XDML has no bytes values (at %s); return a str, or a NumPy uint8 array" % _place(path))
        if isinstance(value, (list, tuple)):
            return [self.plain(v, path + (i,)) for i, v in enumerate(value)]
        if isinstance(value, dict):
            out = {}
            for key, v in value.items():
                if not isinstance(key, str):
                    raise TypeError("a dict returned to XDML has a key %r of type %s; record fields are str"
                                    % (key, type(key).__name__))
                out[key] = self.plain(v, path + (key,))
            return out
        raise TypeError("XDML cannot take a value of type %s (at %s)" % (type(value).__name__, _place(path)))

    def tensor(self, array, path):
        array = self.np.ascontiguousarray(array)
        if array.dtype.name not in _DTYPES:
            raise TypeError("XDML has no tensor element type for NumPy dtype %s (at %s)"
                            % (array.dtype.name, _place(path)))
        at = (self.offset + 63) // 64 * 64
        end = at + array.nbytes
        if end > self.arena.size:
            self.arena.grow(end)
        if array.nbytes:
            self.np.frombuffer(self.arena.map, self.np.uint8, array.nbytes, at)[:] = array.reshape(-1).view(self.np.uint8)
        self.offset = end
        self.tensors.append((array.dtype.name, tuple(int(d) for d in array.shape), at))
        return TENSOR_MARK + struct.pack("<I", len(self.tensors) - 1)


_DTYPES = ("float32", "float64", "int16", "int32", "int64", "uint8", "uint16", "uint32", "bool")


def _place(path):
    return "result" + "".join("[%r]" % p for p in path)


def _set(args, path, value):
    for step in path[:-1]:
        args = args[step]
    args[path[-1]] = value


def main():
    global _socket
    _socket = socket.socket(fileno=SOCKET)
    set_up = _receive()
    _, search, names, parent = set_up
    try:  # die with the run, even when it is killed (PR_SET_PDEATHSIG = 1, SIGKILL = 9)
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)
    except Exception:
        pass
    if os.getppid() != parent:
        os._exit(0)
    sys.stdin = open(os.devnull)
    sys.stdout, sys.stderr = _Printed(1), _Printed(2)
    sys.path[:0] = [p for p in search if p not in sys.path]
    try:
        import numpy as np
    except ImportError:
        np = None
    functions, errors, files = [], [], set()
    import importlib
    for name, module, function in names:
        try:
            m = importlib.import_module(module)
            if getattr(m, "__file__", None):
                files.add(os.path.abspath(m.__file__))
            if not hasattr(m, function):
                raise AttributeError("module '%s' (%s) has no function '%s'"
                                     % (module, getattr(m, "__file__", "built in"), function))
            f = getattr(m, function)
            if not callable(f):
                raise TypeError("'%s.%s' is a %s, not a function" % (module, function, type(f).__name__))
            functions.append(f)
            errors.append(None)
        except BaseException as exc:  # SystemExit at import counts as a failure too
            functions.append(None)
            errors.append(_error(exc, files))
    files = frozenset(files)
    _send((3, os.getpid(), errors))

    arena = Arena()
    while True:
        global _spin_reads
        _, task, args, tensors, arena_size, _spin_reads, maps, forget = _receive()
        for block in forget:
            _blocks.pop(block, None)  # unmapped once no array of it is left
        for block, size in maps:
            fd = _fds.pop(0)
            _blocks[block] = mmap.mmap(fd, size, flags=mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0), prot=mmap.PROT_READ)
            os.close(fd)
        try:
            f = functions[task]
            if f is None:
                raise ImportError("the module of this task failed to import:\n" + errors[task][4])
            if tensors:
                if np is None:
                    raise ImportError("NumPy is not installed for %s; a tensor crosses as a NumPy array (apt-get install python3-numpy)" % sys.executable)
                arena.ensure(arena_size)
                end = 0
                for path, dtype, shape, offset, block in tensors:
                    count = 1
                    for d in shape:
                        count *= d
                    a = np.frombuffer(arena.map if block < 0 else _blocks[block], dtype, count, offset).reshape(shape)
                    a.flags.writeable = False
                    _set(args, path, a)
                    if block < 0:
                        end = max(end, offset + a.nbytes)
            else:
                end = 0
            value = f(*args)
            result = Result(arena, end, np)
            plain = result.plain(value, ())
            sys.stdout.flush()
            sys.stderr.flush()
            _send((0, plain, result.tensors, arena.size))
        except BaseException as exc:
            sys.stdout.flush()
            sys.stderr.flush()
            _send((1,) + _error(exc, files))


main()
