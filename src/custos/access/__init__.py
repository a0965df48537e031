"""Access to recorded footage: cases, requests, dual-control approval, expiring grants."""
