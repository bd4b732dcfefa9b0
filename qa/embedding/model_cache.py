"""ONNX copies of the embedding model, made once from the local model folder and kept in a cache folder.

ONNX Runtime runs all-MiniLM-L6-v2 faster than torch on a CPU, and an int8 copy (dynamically
quantized for the instructions this CPU has: AVX-512 VNNI, else AVX2) faster still, at a cosine of
about 0.99 to the full-precision vectors. Nothing is downloaded: the copies are exported from the
model folder already on disk, into a temporary folder renamed into place when complete.
"""

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

ONNX_FILE = "onnx/model.onnx"
INT8_FILE = "onnx/model_qint8.onnx"


def onnx_model_folder(model_path: Path, model_name: str, cache_dir: Path, quantized: bool) -> tuple[Path, str]:
    """(folder, file) of an ONNX copy of the model, exported into the cache first if need be.

    Raises ImportError when ONNX Runtime or Optimum is missing, ValueError when the CPU has no
    instructions the int8 copy can use; the caller then falls back to another backend.
    """
    folder = cache_dir / re.sub(r"[^\w.-]+", "--", model_name)
    wanted = INT8_FILE if quantized else ONNX_FILE
    if not (folder / wanted).is_file():
        _export(model_path, folder, quantized)
    return folder, wanted


def quantization_for_this_cpu() -> str:
    flags = _cpu_flags()
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    if "avx2" in flags:
        return "avx2"
    raise ValueError("this CPU has neither AVX-512 VNNI nor AVX2, which the int8 model needs")


def _export(model_path: Path, folder: Path, quantized: bool) -> None:
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    config = quantization_for_this_cpu() if quantized else None
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        exported = (folder / ONNX_FILE).is_file()
        shutil.copytree(folder if exported else model_path, work, dirs_exist_ok=True)
        log.info("exporting %s to ONNX in %s (once)", model_path, folder)
        model = SentenceTransformer(str(work), backend="onnx", device="cpu", local_files_only=True)
        if not exported:
            model.save_pretrained(str(work))
        if config is not None:
            export_dynamic_quantized_onnx_model(model, config, str(work), file_suffix="qint8")
        _move_into_place(work, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _move_into_place(work: Path, folder: Path) -> None:
    """Replaces the cache folder with the finished export; another process finishing first is fine."""
    old = folder.with_name(f".{folder.name}.old.{os.getpid()}")
    if folder.exists():
        os.replace(folder, old)
    os.replace(work, folder)
    shutil.rmtree(old, ignore_errors=True)


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    match = re.search(r"^flags\s*:\s*(.*)$", text, flags=re.MULTILINE)
    return set(match.group(1).split()) if match else set()
