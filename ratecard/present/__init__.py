"""Renderings for people: terminal views, the proposal paragraph, and the briefing templates."""
