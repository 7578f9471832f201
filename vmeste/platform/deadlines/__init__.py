"""Deadlines owed to citizens: production calendars as versioned data, and the clock
that turns a policy, a registration moment and pauses into a due moment.

Pure Python on purpose: the same code serves the API, the CLI, the watchdog and the
benchmark, and it must compute hundreds of thousands of deadlines without a database.
"""
