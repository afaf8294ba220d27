"""Writing a file whole or not at all.

Python's standard library has no atomic write; the field's small packages for it
(atomicwrites) are unmaintained. The recipe is short: a temporary file in the same directory
(created 0600 by mkstemp, so a private key is never readable by others, not even for a moment),
fsync, the mode wanted, rename over the target, fsync of the directory so that the rename
itself survives a power cut."""

import os
import tempfile
from pathlib import Path

PUBLIC = 0o644
PRIVATE = 0o600


def write_atomically(path: Path, data: bytes, mode: int = PUBLIC) -> None:
    """`data` at `path` with `mode`: a reader sees the old file or the new one, never a part."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
