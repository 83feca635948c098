"""Files the tests make: a scratch folder for Hypothesis examples, and forged archives."""

from __future__ import annotations

import io
import struct
import tempfile
import zipfile
from pathlib import Path

import pytest

SCRATCH: list[Path] = []
"""Where the generated files go: pytest's own temporary folder, which it prunes between runs
(Hypothesis examples cannot take the function-scoped tmp_path)."""


@pytest.fixture(autouse=True, scope="module")
def scratch_folder(tmp_path_factory):
    """Import this fixture into a module to give it a fresh `SCRATCH` folder."""
    SCRATCH[:] = [tmp_path_factory.mktemp("generated")]
    yield


def write_scratch(name: str, content: bytes, prefix: str = "descent-") -> Path:
    """`content` as file `name` in a new folder of its own under the scratch folder."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=SCRATCH[0])) / name
    path.write_bytes(content)
    return path


def npz_declaring(shape, descr: str = "<f8", payload: int = 16) -> bytes:
    """An .npz whose x and y headers declare arrays of `shape` (and `descr`) but hold only
    `payload` bytes: a damaged or hand-made archive claiming far more than it has."""
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {tuple(shape)}, }}"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(payload)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.npy", npy)
        archive.writestr("y.npy", npy)
    return buffer.getvalue()
