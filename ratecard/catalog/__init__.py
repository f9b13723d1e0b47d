"""The intervention catalog: its data model, loading and checking, and differences between editions."""
