"""Rules as data: the condition trees (one validated representation) and their back ends.

`conditions` and `loader` read and check rule files; `durable` (the engine of record),
`reference` (the plain evaluator) and `wording` (plain English) each read the same trees.
"""
