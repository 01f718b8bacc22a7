"""Key pairs and certificates: generation, import and export (:mod:`.material`), storage encrypted
under the master key (:mod:`.stored`), the per-worker ring of loaded keys (:mod:`.ring`) and the
registry of what uses a key pair (:mod:`.usage`)."""
