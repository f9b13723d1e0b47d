"""The case: the person's assessment as other systems send it, its flat facts, and its events."""
