"""Atomic file writes: write a temporary file beside the target, then ``os.replace`` it.

A crash or a full disk mid-write leaves the previous file intact, never a
half-written one (DESIGN: "Safe files").
"""
import os
import tempfile


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a mix."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: folder {folder!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path, text, encoding="utf-8"):
    atomic_write_bytes(path, text.encode(encoding))
