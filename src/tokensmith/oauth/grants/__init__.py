"""Grant types: one module per grant, read through ``tokensmith.oauth.grants.registry``."""
