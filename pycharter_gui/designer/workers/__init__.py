"""Background work for the designer: the GUI thread never waits on file I/O."""
