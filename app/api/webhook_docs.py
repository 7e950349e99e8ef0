"""The OpenAPI document: spectree's paths plus a generated top-level `webhooks` section (OpenAPI 3.1).

Each webhook type of the event catalogue (app/events/catalogue.py) is documented as the POST Carebox
sends to a registered endpoint: its body is the catalogue's payload model in the Standard Webhooks
envelope, with the signing headers.
"""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from app.events.catalogue import WEBHOOK_TYPES

COMPONENT_PREFIX = "Webhook."  # keeps these apart from the names spectree gives the REST models
SIGNING = (
    "Signed per Standard Webhooks: `webhook-signature` holds `v1,<base64 HMAC-SHA256>` of "
    "`{webhook-id}.{webhook-timestamp}.{body}` keyed with the endpoint's `whsec_` secret (during a rotation, one "
    "signature per secret, space-separated). Verify with any Standard Webhooks library, reject old timestamps, and "
    "dedupe on `webhook-id`: it is the same on every retry. Answer 2xx quickly; anything else is retried after about "
    "5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (Retry-After is honoured). 410 disables the endpoint."
)
HEADERS = [
    ("webhook-id", "Unique per event; the same on every retry (use it to dedupe)."),
    ("webhook-timestamp", "Unix seconds when this attempt was signed."),
    ("webhook-signature", "Space-separated `v1,<base64 signature>` list."),
]
_cache = {}


def envelope(webhook_type):
    """{"type", "timestamp", "data"}: the body of one webhook type, as a model named e.g. MessageReceivedEvent."""
    name = "".join(part.title() for part in webhook_type.name.split(".")) + "Event"
    return type(name, (BaseModel,), {
        "__doc__": webhook_type.description,
        "__annotations__": {"type": Literal[webhook_type.name], "timestamp": datetime, "data": webhook_type.data},
    })


def webhooks_section():
    """({event type: path item}, {component name: schema})."""
    webhooks, schemas = {}, {}
    for event_type, webhook_type in WEBHOOK_TYPES.items():
        model = envelope(webhook_type)
        schema = model.model_json_schema(ref_template="#/components/schemas/" + COMPONENT_PREFIX + "{model}",
                                         by_alias=True, mode="serialization")
        for name, definition in schema.pop("$defs", {}).items():
            schemas[COMPONENT_PREFIX + name] = definition
        name = COMPONENT_PREFIX + model.__name__
        schemas[name] = schema
        webhooks[event_type] = {"post": {
            "summary": event_type,
            "description": f"{webhook_type.description}\n\n{SIGNING}",
            "operationId": "webhook_" + event_type.replace(".", "_"),
            "tags": ["webhook events"],
            "parameters": [{"name": h, "in": "header", "required": True, "description": d, "schema": {"type": "string"}}
                           for h, d in HEADERS],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}},
            "responses": {
                "2XX": {"description": "Received. Any 2xx counts; process the event asynchronously."},
                "410": {"description": "Gone: Carebox disables this endpoint."},
            },
        }}
    return webhooks, schemas


def openapi_document(spec):
    """spectree's document with the webhooks section added (built once: both parts are fixed at start-up)."""
    if "doc" not in _cache:
        doc = dict(spec.spec)
        webhooks, schemas = webhooks_section()
        doc["webhooks"] = webhooks
        doc["components"] = {**doc["components"], "schemas": {**doc["components"]["schemas"], **schemas}}
        _cache["doc"] = doc
    return _cache["doc"]
