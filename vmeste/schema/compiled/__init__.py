"""Compiled read plans: a query whose every field a model can answer runs as a few SQL
statements and one generated function that shapes their rows into the response,
without graphql-core's per-field execution (see docs/architecture.md, "Reads").

An area opts in by declaring, next to its types and resolvers, which model backs a
type (:func:`declare.backed_by`), which relation a resolver follows
(:func:`declare.to_one`), and which rows a root field reads (:func:`declare.rows`): the
same functions its resolvers call, so both paths apply one set of visibility rules.
"""
