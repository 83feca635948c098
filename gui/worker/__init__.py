"""The one worker that owns the training thread, and what it needs: the relay that batches the
engine's events for the UI thread, and the collector that keeps garbage collection on it."""

from gui.worker.engine import WORKER, EngineThread, TrainingWorker, WorkerSignals

__all__ = ["WORKER", "EngineThread", "TrainingWorker", "WorkerSignals"]
