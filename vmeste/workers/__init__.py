"""Background work: dramatiq actors and the scheduler of periodic jobs.

Settings already choose the broker (``VMESTE_BROKER_URL``: ``memory://`` runs the
worker inside the API process; ``amqp://`` or ``redis://`` in production).
"""
