"""The installed PySide6 must not drop references to None/True (6.12.0 on Python
< 3.12 does, on every void call and every emit, and the window crashes)."""
import sys

import pytest
from PySide6.QtCore import QObject, Signal

from duplicalt.gui.app import qt_drops_references

pytestmark = pytest.mark.gui


class _Emitter(QObject):
    ping = Signal(object)


def test_void_calls_and_emits_keep_refcounts(qapp):
    obj = _Emitter()
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(50):
        obj.setObjectName("x")
        obj.ping.emit(1)
    after = sys.getrefcount(None), sys.getrefcount(True)
    assert after[0] - before[0] > -10 and after[1] - before[1] > -10, (before, after)
    assert not qt_drops_references()
