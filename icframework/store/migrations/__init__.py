"""Alembic migrations of the answer store: env.py, and versions/ with one file per schema change.

Run them with `icf store create` (a new database) or `icf store upgrade` (an older one); the code is in
icframework/store/migrate.py. To add one: change store/schema.py, copy the last file in versions/, give it the
next revision id and set `HEAD` in migrate.py to it (a test checks HEAD and the schema both match).
"""
