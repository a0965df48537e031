"""The breach register: personal-data breaches, and their notification to the authority."""
