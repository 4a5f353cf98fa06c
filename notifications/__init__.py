"""Notifications: events and who hears of them, preferences, the one delivery planner, the outbox and its dispatcher."""
