"""Control endpoints for Instagram under /_sandbox/instagram/ (see control.py for the others), and the
placeholder image every media's media_url / thumbnail_url points at.

GET  /_sandbox/instagram/media/<id>.svg    a placeholder picture (nothing is fetched from outside)
"""
import zlib

from flask import Response

from app.sandbox.control import bp

_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="320" height="320" viewBox="0 0 320 320">'
        '<rect width="320" height="320" fill="hsl({hue},55%,62%)"/>'
        '<circle cx="160" cy="140" r="54" fill="none" stroke="#fff" stroke-width="14"/>'
        '<rect x="70" y="70" width="180" height="180" rx="44" fill="none" stroke="#fff" stroke-width="14"/>'
        '<text x="160" y="290" font-family="sans-serif" font-size="18" fill="#fff" text-anchor="middle">'
        'sandbox media</text></svg>')


@bp.get("/instagram/media/<object_id>.svg")
def media_placeholder(object_id):
    hue = zlib.crc32(object_id.encode()) % 360
    return Response(_SVG.format(hue=hue), mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
