"""Registers every optimizer and loss of the catalog with Keras: `import trainers.keras_objects`.

Our classes are `@keras.saving.register_keras_serializable(package="descent")`, which takes
effect when their module is imported. A `.keras` file names them as "descent>Adam" and so on;
Keras can rebuild them only once they are registered, so this is the one import a plain-Keras
script needs before `keras.saving.load_model`. Entries registered at run time (whose class is
given as an object) are already imported.
"""

from trainers import catalog

REGISTERED = tuple(entry.load() for entry in (*catalog.OPTIMIZERS, *catalog.LOSSES))
"""The classes imported, optimizers first, in catalog order."""
