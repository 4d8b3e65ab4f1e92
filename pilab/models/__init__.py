"""Python models of the lab modules, for the mock board.

Each model does what its C module does, on gpiozero mock pins, and prints the
same log lines. The vm tests hold the C modules to the same expectations, so
a model that drifts from its module fails there.
"""

from __future__ import annotations

from pilab.models.base import KernelModel, ModelKernel
from pilab.models.bh_thread import BhThreadModel
from pilab.models.bottomhalf import BottomhalfModel
from pilab.models.intrpt import IntrptModel

MODELS: dict[str, type[KernelModel]] = {
    "intrpt": IntrptModel,
    "bottomhalf": BottomhalfModel,
    "bh_thread": BhThreadModel,
}

__all__ = ["MODELS", "KernelModel", "ModelKernel"]
