"""Runtime token state behind one small typed interface (see :mod:`tokensmith.state.base`)."""
