"""The user's own data: a CSV table, an NPZ archive of `x` and `y`, or a folder of images.

Every problem ends in a `DatasetError` that names the file, the row, column or array where it
applies, and what to do about it. Rows are counted as a spreadsheet counts them: the first line
of the file is row 1, header included.

How the task is chosen when `task="auto"`:
- CSV: a target column holding any text is a set of classes (sorted by name). A numeric target
  with at most 20 distinct whole-number values is a set of classes (two: binary); any other
  numeric target is regression.
- NPZ: `y` of an integer, bool or string type is a set of classes; a float `y` is regression.
`task="regression"` or `task="classification"` overrides the guess.
"""

from trainers.datasets.csv_file import csv_columns, load_csv
from trainers.datasets.file_common import (
    CSV_OPTIONS,
    CSV_SUFFIXES,
    IMAGE_FOLDER_OPTIONS,
    IMAGE_SUFFIXES,
    MAX_AUTO_CLASSES,
    MAX_LABEL,
    NPZ_OPTIONS,
    NPZ_SUFFIXES,
)
from trainers.datasets.image_folder import MAX_IMAGE_PIXELS, load_image_folder
from trainers.datasets.npz_file import MIN_IMAGE_SIDE, load_npz

__all__ = [
    "CSV_OPTIONS",
    "CSV_SUFFIXES",
    "IMAGE_FOLDER_OPTIONS",
    "IMAGE_SUFFIXES",
    "MAX_AUTO_CLASSES",
    "MAX_IMAGE_PIXELS",
    "MAX_LABEL",
    "MIN_IMAGE_SIDE",
    "NPZ_OPTIONS",
    "NPZ_SUFFIXES",
    "csv_columns",
    "load_csv",
    "load_image_folder",
    "load_npz",
]
