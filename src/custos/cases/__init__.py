"""Criminal cases: the only frame inside which recorded footage may be looked at."""
