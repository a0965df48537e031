"""Device inspections during a state of emergency: the register, the sealed copies, the receipts."""
