"""Front-end packages from npm (package.json) that pages load, served from node_modules by /vendor/…

Only the folders listed here are reachable. `make run` and `make test` install them with `npm ci`.
"""
from config import BASE_DIR

NODE_MODULES = BASE_DIR / "node_modules"

VENDOR_DIRS = {
    "chart.js": NODE_MODULES / "chart.js" / "dist",  # the SLA reports' charts
    "socket.io-client": NODE_MODULES / "socket.io-client" / "dist",
    "swagger-ui-dist": NODE_MODULES / "swagger-ui-dist",  # the API docs page (/api/v1/docs)
    "twitter-text": NODE_MODULES / ".bundles" / "twitter-text",  # one ES module, bundled by package.json's postinstall
}
