"""Reading the files users hand us, with errors that say what was wrong and what to do."""

from __future__ import annotations

from pathlib import Path

from agent.errors import InputError


def read_text(path: str | Path, what: str, encoding: str = "utf-8") -> str:
    """Return a UTF-8 text file's contents; raise InputError naming the file and the fix."""
    path = Path(path)
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; pass the path of {what}") from None
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path}: not UTF-8 text (byte {error.start}); save {what} as UTF-8"
        ) from None
    except OSError as error:
        raise InputError(f"{path}: cannot read it ({error.strerror}); pass {what}") from None
