"""Polls (surveys): questions of several kinds, anonymous responses, results broken
down by the participants' groups and weighted to the population."""
