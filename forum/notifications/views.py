"""Notification list, follow buttons and one-click unsubscribe."""
