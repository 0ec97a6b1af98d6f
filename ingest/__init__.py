"""Files in, clean rows out: read, normalise, validate and commit indicator submissions."""
