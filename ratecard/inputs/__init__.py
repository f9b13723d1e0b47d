"""Reading input files safely: YAML and JSON with line numbers, limits and exact types."""
