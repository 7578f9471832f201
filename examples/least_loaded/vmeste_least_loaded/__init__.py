"""A regional Vmeste plugin: balance chosen categories across a body's sub-offices."""
