"""Decisions built from the screen: proposals, referral checks, allocation, briefings, batches."""
