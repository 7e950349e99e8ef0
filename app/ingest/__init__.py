"""The one ingest path: pollers, push receivers and POST /api/v1/messages all call `ingest()`.

- items.py: the connector-neutral item types (the only part connectors import);
- plan.py: the pure planning step (what storing a batch means);
- language.py: the language a customer message is written in;
- store.py: the batch SQL (loading with locks, writing the plan);
- publish.py: the events of a stored batch;
- pipeline.py: `ingest()`, the stages in order.

Import `ingest` and `IngestResult` from app.ingest.pipeline.
"""
