"""Users, roles and credentials: who may do what."""
