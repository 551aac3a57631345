"""Pure dialog core: the guided intake flow as data, answer parsing and customer texts."""
