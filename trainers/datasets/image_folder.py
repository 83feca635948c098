"""The user's folder of images: one sub-folder per class, named after the class.

Every problem ends in a `DatasetError` that names the folder, the image and what to do about it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from trainers.datasets.base import RawData, classification_task, quoted
from trainers.datasets.file_common import IMAGE_SUFFIXES
from trainers.errors import DatasetError

MAX_IMAGE_PIXELS = 50_000_000
"""Largest image read (50 megapixels, a large photo); a header declaring more is refused unread."""


def load_image_folder(
    path: str | Path, *, image_size: int = 32, color_mode: str = "rgb"
) -> RawData:
    """Read a folder with one sub-folder of images per class; the sub-folder names the class.

    Images (png, jpg, bmp, gif: first frame, webp) are read with `tf.io.decode_image`, resized
    to `image_size` x `image_size` with `tf.image.resize` and scaled to [0, 1].
    """
    path = Path(path)
    folder = path.name
    class_dirs = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
    if len(class_dirs) < 2:
        found = f"only {quoted(class_dirs[0].name)}" if class_dirs else "none"
        raise DatasetError(
            f"{folder}: an image folder needs at least two class sub-folders, one per class "
            f"(found {found}). Put each class's images in a sub-folder named after the class."
        )
    files: list[tuple[Path, int]] = []
    for label, class_dir in enumerate(class_dirs):
        images = sorted(
            p
            for p in class_dir.rglob("*")
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
        )
        if not images:
            raise DatasetError(
                f"{folder}: class folder {quoted(class_dir.name)} holds no images "
                f"({', '.join(IMAGE_SUFFIXES)}). Add images or remove the folder."
            )
        files.extend((p, label) for p in images)

    import tensorflow as tf  # imported here: the tabular loaders never need it

    channels = 1 if color_mode == "grayscale" else 3
    x = np.empty((len(files), image_size, image_size, channels), dtype=np.float32)
    for i, (file, _) in enumerate(files):
        name = quoted(file.relative_to(path).as_posix())
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise DatasetError(
                f"{folder}: image {name} cannot be opened ({exc.strerror or exc}). Check that "
                "it is readable, or delete it."
            ) from exc
        size = _declared_size(tf, data)
        if size and size[0] * size[1] > MAX_IMAGE_PIXELS:
            raise DatasetError(
                f"{folder}: image {name} declares {size[0]:,}x{size[1]:,} pixels; images of up "
                f"to {MAX_IMAGE_PIXELS:,} pixels are read. Shrink it, or delete it if it is "
                "damaged."
            )
        try:
            image = tf.io.decode_image(data, dtype=tf.float32, expand_animations=False)
        except (tf.errors.OpError, ValueError) as exc:
            raise DatasetError(
                f"{folder}: image {name} cannot be read ({_tf_message(exc)}). Replace or "
                "delete the file."
            ) from exc
        image = _with_channels(tf, image, channels)
        x[i] = tf.image.resize(image, (image_size, image_size)).numpy()
    np.clip(x, 0.0, 1.0, out=x)
    class_names = tuple(d.name for d in class_dirs)
    return RawData(
        x,
        np.array([label for _, label in files], dtype=np.int64),
        classification_task(len(class_names)),
        class_names,
        description=f"{folder}: {len(files):,} images in {len(class_names)} classes",
        images=True,
        source=str(path),
    )


def _declared_size(tf, data: bytes) -> tuple[int, int] | None:
    """(width, height) from the header of a PNG, GIF, BMP or JPEG; None when not found.

    Checked before decoding: a damaged or crafted header can declare billions of pixels, and
    the decoder allocates them before it finds the data missing.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith((b"GIF87a", b"GIF89a")) and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data.startswith(b"BM") and len(data) >= 26:
        if int.from_bytes(data[14:18], "little") == 12:  # the old OS/2 header: 16-bit sides
            return int.from_bytes(data[18:20], "little"), int.from_bytes(data[20:22], "little")
        width = int.from_bytes(data[18:22], "little", signed=True)
        return abs(width), abs(int.from_bytes(data[22:26], "little", signed=True))
    if data.startswith(b"\xff\xd8"):
        try:
            height, width, _ = (int(v) for v in tf.image.extract_jpeg_shape(data).numpy())
        except (tf.errors.OpError, ValueError):
            return None  # the decoder names the damage
        return width, height
    return None


def _with_channels(tf, image, channels: int):
    have = image.shape[-1]
    if have in (2, 4):  # drop the alpha channel
        image = image[..., : have - 1]
        have -= 1
    if have == channels:
        return image
    if channels == 1:
        return tf.image.rgb_to_grayscale(image)
    return tf.image.grayscale_to_rgb(image)


def _tf_message(exc: Exception) -> str:
    """The useful part of a TensorFlow error, without the op and device decoration."""
    text = getattr(exc, "message", None) or str(exc)
    text = re.sub(r"\{\{[^}]*\}\}\s*", "", text)
    return re.sub(r"\s*\[Op:\w+\].*$", "", text).strip()
