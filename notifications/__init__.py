"""Notifications: the in-app store and each user's delivery preferences."""
