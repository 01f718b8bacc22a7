"""Password credential validators: check a username and password, yield attributes."""
