"""Storage seams: where sealed blobs live and where the keys that open them are kept."""
