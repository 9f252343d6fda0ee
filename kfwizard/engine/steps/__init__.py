"""Engine steps, one module per wizard phase."""
