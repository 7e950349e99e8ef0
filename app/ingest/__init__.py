"""The one ingest path: pollers, push receivers and POST /api/v1/messages all call `ingest()`."""
from app.ingest.items import CHANNELS, InboundAuthor, InboundItem  # noqa: F401
from app.ingest.pipeline import IngestResult, ingest  # noqa: F401
