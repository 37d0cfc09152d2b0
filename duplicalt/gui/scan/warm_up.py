"""Keeping the window fluid around the heavy imports and big scan results."""
from __future__ import annotations

import gc
import threading


def settle_garbage() -> None:
    """Move everything alive now (torch's modules, a loaded scan) out of the garbage
    collector's sight: a full collection then takes milliseconds, not ~80 ms with the
    GIL held (a stall of every thread, the GUI's included). Freezing is instant; a
    collection first would itself be such a stall."""
    gc.freeze()


def warm_up() -> threading.Thread:
    """Import the model code in the background while the window opens (ONNX
    Runtime on a CPU, torch where a GPU may be: the engine a scan's ``load()``
    will choose), so the first scan starts at once and no import stalls the GUI."""
    def body() -> None:
        gc.disable()  # no full collection of half-built modules mid-import
        try:
            import importlib

            from duplicalt.ml.model.embed import choose_engine

            engine = choose_engine("auto", "auto", "fp32")
            importlib.import_module(f"duplicalt.ml.model.{engine}_engine")
            if engine == "onnx":
                import onnxruntime  # noqa: F401 - imported by the engine only when loading
        except Exception:  # reported later, when a scan needs the model
            pass
        finally:
            settle_garbage()
            gc.enable()

    thread = threading.Thread(target=body, name="duplicalt-warm-up", daemon=True)
    thread.start()
    return thread
