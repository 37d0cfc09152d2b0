"""The standalone app's entry point (PyInstaller runs this; see packaging/duplicalt.spec).

Alone or with one folder it opens the window; with a command it is the CLI, exactly
like the ``duplicalt`` command of an installed package.
"""
import multiprocessing
import sys

from duplicalt.__main__ import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
