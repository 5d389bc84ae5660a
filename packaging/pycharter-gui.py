"""PyInstaller entry point of the bundle: the designer, exactly as the ``pycharter-gui`` command."""

import sys

from pycharter_gui.designer.app import main

sys.exit(main())
