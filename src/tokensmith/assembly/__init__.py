"""Assembly: compiling a configuration version into the immutable objects the protocol cores read
(:mod:`tokensmith.assembly.snapshot`)."""
