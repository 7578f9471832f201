"""Result counters shared by votes and polls, and the population they are weighed by."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Tally(Model):
    """One shard of one counter: ``count`` things counted (ballots, choices, answers)
    and ``amount`` summed with them (points, ranks), for one key of one subject, in one
    group of one dimension.

    A result is the sum over shards, a ballot adds to one shard picked at random, so
    hundreds of concurrent ballots on one vote update different rows instead of
    queueing on a single one. The keys are the subject's own (see
    :mod:`vmeste.platform.participation.tallies`).
    """

    id = fields.BigIntField(primary_key=True)
    # ``vote`` or ``poll`` (a component's subject type).
    subject_type = fields.CharField(max_length=16)
    subject_id = fields.IntField()
    # What is counted: an option, a question's answer, or ``*`` for participants.
    key = fields.CharField(max_length=96)
    # ``""`` for the whole, else ``age_band``, ``gender``, ``territory`` or ``cell``
    #: (age band × gender, for weighting).
    dimension = fields.CharField(max_length=16, default="")
    group = fields.CharField(max_length=64, default="")
    shard = fields.SmallIntField(default=0)
    count = fields.BigIntField(default=0)
    amount = fields.BigIntField(default=0)

    class Meta:
        table = "participation_tally"
        unique_together = (("subject_type", "subject_id", "key", "dimension", "group",
                            "shard"),)


class PopulationGroup(Model):
    """How many people of one age band and gender live in a territory: the reference a
    poll's participants are compared with (R-score) and weighted to."""

    id = fields.IntField(primary_key=True)
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="population", on_delete=fields.CASCADE)
    age_band = fields.CharField(max_length=16)
    gender = fields.CharField(max_length=8)
    count = fields.BigIntField()
    updated_at = fields.DatetimeField(auto_now=True)

    territory_id: int

    class Meta:
        table = "population_group"
        unique_together = (("territory", "age_band", "gender"),)
