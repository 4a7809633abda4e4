"""Batch runs: the workbooks for every city of a round, in parallel, and their briefs.

plan.py checks the parameters and works out what each notebook depends on; execute.py runs one notebook in a
worker (staging folder, briefs, atomic publish); pool.py runs them all on local worker processes or a Dask
cluster; engine.py is the warm papermill engine the workers use. Nothing is imported here: papermill loads
engine.py through its entry point whenever it starts, and that must stay cheap.
"""
