"""Notifications: who hears about which appeal event, over which channel, and the
record of every attempt to tell them."""
