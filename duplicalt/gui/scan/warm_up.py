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
    """Import torch and the model code in the background while the window opens,
    so the first scan starts at once (and the import is not a GUI-thread stall)."""
    def body() -> None:
        gc.disable()  # no full collection of torch's half-built modules mid-import
        try:
            import duplicalt.ml.model.embed  # noqa: F401 - torch is the slow part
        except Exception:  # reported later, when a scan needs the model
            pass
        finally:
            settle_garbage()
            gc.enable()

    thread = threading.Thread(target=body, name="duplicalt-warm-up", daemon=True)
    thread.start()
    return thread
