"""The web face of Custos: the app factory, pages, and the one place errors become statuses."""
