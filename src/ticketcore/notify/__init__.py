"""Notifications: domain events become outbox rows in the same transaction (`queue`), a
dispatcher sends them (`outbox`), and inbound email becomes messages (`inbound`)."""
