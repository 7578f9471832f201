"""A regional Vmeste plugin: notifications through the region's messenger bot, and
urgent categories answered within working hours."""
