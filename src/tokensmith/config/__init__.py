"""Configuration: the SQL store, the mutable model admin writes work on, and the immutable
runtime snapshot each worker serves from."""
