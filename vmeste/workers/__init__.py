"""Background work: dramatiq actors, the outbox relay's scheduler, and how they run.

``VMESTE_BROKER_URL`` chooses the broker (:mod:`vmeste.workers.broker`): ``memory://``
runs the worker and the scheduler inside the API process; ``amqp://`` (RabbitMQ) or
``redis://`` run them as ``vmeste worker`` and ``vmeste scheduler`` processes.
:mod:`~vmeste.platform.outbox.topics` maps outbox topics to jobs, :mod:`~vmeste.workers.jobs`
wraps every job (retries, dead letters), :mod:`~vmeste.workers.scheduler` sweeps the
outbox and runs the deadline watchdog, :mod:`~vmeste.workers.runner` starts them.
"""
