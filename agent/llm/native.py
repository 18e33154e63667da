"""Loading llama.cpp safely on whatever CPU this runs on.

llama.cpp builds for the CPU it is compiled on and, at load time, may repack the weights into an
"extra buffer type" (AMX tiles on Intel Sapphire Rapids class CPUs, interleaved blocks for AVX2 /
AVX-512 elsewhere). On CPUs with AMX that path crashes inside `llama_decode` on any batched
decode (a prompt of more than one token): a bare segmentation fault, no Python exception.

Two guards live here, and nowhere else:
- `use_extra_buffers()` decides whether the weights may be repacked (`STORYDESK_LLAMA_REPACK`:
  `auto` repacks except on AMX CPUs, `on`, `off`), and proves the choice in a child process the
  first time a model file, CPU and llama.cpp version meet (the answer is cached in the data
  directory), so that a crash becomes a fallback or a one-line error, never a dead process.
- `load_llama()` builds the `Llama` with that choice. llama-cpp-python builds its model
  parameters inside `Llama.__init__` from `llama_model_default_params()` and offers no argument
  for `use_extra_bufts`, so the default-params function is wrapped for the duration of the
  constructor, under a lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agent.errors import ModelUnavailableError

RepackMode = Literal["auto", "on", "off"]

AMX_FLAGS = frozenset({"amx_tile", "amx_int8", "amx_bf16", "amx_fp16"})
PROBE_TIMEOUT = 180.0
"""Seconds a probe may take (loading a GGUF and decoding a short prompt takes a few)."""
PROBE_TEXT = (
    "Japanese Defense Minister Shinjiro Koizumi met U.S. Defense Secretary Pete Hegseth at the "
    "Pentagon on Thursday, and the two agreed to deepen cooperation on missile production. "
) * 6
"""Long enough for a batched decode of well over a hundred tokens: the path that crashed."""

_PATCH_LOCK = threading.Lock()


def cpu_flags() -> frozenset[str]:
    """Return the CPU's feature flags (Linux /proc/cpuinfo; empty where it cannot be read)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith(("flags", "Features")):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass  # not Linux, or no procfs: no flags known, so no AMX assumed
    return frozenset()


def has_amx(flags: frozenset[str]) -> bool:
    """Tell whether the CPU has AMX tiles, where llama.cpp's repacked weights crash."""
    return bool(flags & AMX_FLAGS)


def preferred_extra_buffers(mode: RepackMode, flags: frozenset[str]) -> bool:
    """Return the repack choice to try first for a mode on a CPU with these flags.

    Measured (AMD EPYC, AVX-512, no AMX): for the shipped SmolLM2 file (Q4_1) llama.cpp's
    CPU_REPACK buffer takes none of the tensors, so on/off decode and prefill rates are equal;
    a user's Q4_0 or IQ4_NL file may gain from it. AMX takes Q4_1, and crashes: off there.
    """
    if mode == "on":
        return True
    if mode == "off":
        return False
    return not has_amx(flags)


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    detail: str
    """`ok`, or what went wrong: the signal, the exit code and the child's last words."""


ProbeRunner = Callable[[Path, bool, int], ProbeResult]


def probe_command(path: Path, extra_buffers: bool, n_threads: int) -> list[str]:
    """Return the child command that loads the model and decodes a batched prompt."""
    return [
        sys.executable,
        "-m",
        "agent.llm.native",
        str(path),
        "on" if extra_buffers else "off",
        str(n_threads),
    ]


def run_probe(
    path: Path,
    extra_buffers: bool,
    n_threads: int,
    command: Sequence[str] | None = None,
) -> ProbeResult:
    """Load the model and decode a batched prompt in a child process; report how it ended."""
    argv = list(command) if command is not None else probe_command(path, extra_buffers, n_threads)
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return ProbeResult(False, f"did not finish in {PROBE_TIMEOUT:.0f} s")
    if done.returncode == 0:
        return ProbeResult(True, "ok")
    last = " ".join((done.stderr or done.stdout or "").strip().splitlines()[-1:])[:200]
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        return ProbeResult(False, f"crashed ({name}){': ' + last if last else ''}")
    return ProbeResult(False, f"exited with {done.returncode}{': ' + last if last else ''}")


def _llama_version() -> str:
    try:
        import llama_cpp

        return str(getattr(llama_cpp, "__version__", "unknown"))
    except ImportError:
        return "absent"


def probe_key(path: Path, extra_buffers: bool, flags: frozenset[str]) -> str:
    """Key a probe's answer by model file, CPU, llama.cpp version and repack choice."""
    try:
        stat = path.stat()
        file_id = [str(path.resolve()), stat.st_size, stat.st_mtime_ns]
    except OSError:
        file_id = [str(path), 0, 0]
    material = json.dumps(
        [file_id, sorted(flags), platform.machine(), _llama_version(), extra_buffers]
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


class ProbeCache:
    """Probe answers in a private JSON file; a file that cannot be read or written is no cache."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def get(self, key: str) -> ProbeResult | None:
        if self.path is None:
            return None
        try:
            entry = json.loads(self.path.read_text(encoding="utf-8")).get(key)
        except (OSError, ValueError, AttributeError):
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("ok"), bool):
            return None
        return ProbeResult(entry["ok"], str(entry.get("detail", "")))

    def put(self, key: str, result: ProbeResult) -> None:
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                data = {}
        except (OSError, ValueError):
            data = {}
        data[key] = {"ok": result.ok, "detail": result.detail}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            scratch = self.path.with_suffix(".tmp")
            scratch.write_text(json.dumps(data, indent=1), encoding="utf-8")
            scratch.replace(self.path)
        except OSError as error:
            # Not fatal: the probe runs again next time. Said once, so a user can fix the dir.
            print(
                f"storydesk: warning: cannot save the model probe to {self.path} "
                f"({error.strerror}); it will run again next time",
                file=sys.stderr,
            )


def use_extra_buffers(
    mode: RepackMode,
    path: Path,
    n_threads: int,
    cache: ProbeCache,
    *,
    flags: frozenset[str] | None = None,
    runner: ProbeRunner = run_probe,
    warn: Callable[[str], None] | None = None,
) -> bool:
    """Return whether to load with repacked weights, proven in a child; raise if none works."""
    flags = cpu_flags() if flags is None else flags
    first = preferred_extra_buffers(mode, flags)

    def proven(extra: bool) -> ProbeResult:
        key = probe_key(path, extra, flags)
        known = cache.get(key)
        if known is not None:
            return known
        result = runner(path, extra, n_threads)
        cache.put(key, result)
        return result

    result = proven(first)
    if result.ok:
        return first
    if mode == "auto" and first:
        fallback = proven(False)
        if fallback.ok:
            (warn or _warn)(
                f"llama.cpp's repacked weights fail on this CPU ({result.detail}); loading "
                "without repacking (STORYDESK_LLAMA_REPACK=off makes this explicit)"
            )
            return False
        result = fallback
    if mode == "on":
        raise ModelUnavailableError(
            f"the embedded model {result.detail} when loaded with repacked weights on this CPU; "
            "set STORYDESK_LLAMA_REPACK=off (or auto)"
        )
    raise ModelUnavailableError(
        f"the embedded model {result.detail} on this CPU even without repacked weights "
        f"(model {path}); reinstall llama-cpp-python built for a generic CPU "
        "(CMAKE_ARGS='-DGGML_NATIVE=OFF' pip install --force-reinstall --no-cache-dir "
        "llama-cpp-python), or use a model server (OPENAI_BASE_URL)"
    )


def _warn(message: str) -> None:
    print(f"storydesk: warning: {message}", file=sys.stderr)


def load_llama(path: Path, *, extra_buffers: bool, **kwargs: Any) -> Any:
    """Build a llama_cpp.Llama with weight repacking on or off, and the other arguments as given."""
    import llama_cpp.llama_cpp as low
    from llama_cpp import Llama

    original = low.llama_model_default_params

    def default_params() -> Any:
        params = original()
        if hasattr(params, "use_extra_bufts"):
            params.use_extra_bufts = extra_buffers
        return params

    # Llama.__init__ reads the module attribute at call time; the lock keeps two loads in
    # different threads from seeing each other's choice.
    with _PATCH_LOCK:
        low.llama_model_default_params = default_params
        try:
            return Llama(model_path=str(path), **kwargs)
        finally:
            low.llama_model_default_params = original


def _probe_main(argv: Sequence[str]) -> int:
    """Child side of the probe: load, decode a batched prompt, generate a few tokens."""
    path, repack, threads = argv
    llama = load_llama(
        Path(path), extra_buffers=repack == "on", n_ctx=512, n_threads=int(threads), verbose=False
    )
    tokens = llama.tokenize(PROBE_TEXT.encode())[:400]
    llama.eval(tokens)
    llama.create_completion("The two ministers", max_tokens=4, temperature=0.0)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print("usage: python -m agent.llm.native MODEL.gguf on|off THREADS", file=sys.stderr)
        sys.exit(2)
    os.environ.setdefault("OMP_NUM_THREADS", sys.argv[3])
    sys.exit(_probe_main(sys.argv[1:]))
