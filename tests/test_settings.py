"""One settings surface: every variable is read in config.py, and the README's Configuration table lists
exactly those; each one really changes what Carebox does (a documented variable nobody read was a bug)."""
import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# requests' own variables (proxies, the CA bundle), which the worker reads once the way requests would.
LIBRARY_VARIABLES = {"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"}
# Set by gunicorn.conf.py for the app it loads (the async mode follows the worker class), not by people.
INTERNAL = {"CAREBOX_ASYNC_MODE"}


def _env_reads(tree):
    """(variable, the helper that reads it) for every env_*("X") and os.environ.get("X") call."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Constant):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        reads_environ = name == "getenv" or (name == "get" and ast.unparse(func) == "os.environ.get")
        if name in ("env_bool", "env_int", "env_list") or reads_environ:
            found.append((node.args[0].value, name))
    return found


def variables_in_config():
    return {name for name, _ in _env_reads(ast.parse((ROOT / "config.py").read_text()))}


def variables_in_readme():
    text = (ROOT / "README.md").read_text()
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def test_the_readme_lists_exactly_the_variables_config_reads():
    in_config, in_readme = variables_in_config() - INTERNAL, variables_in_readme()
    assert in_config - in_readme == set(), "read in config.py but not in the README's Configuration table"
    assert in_readme - in_config == set(), "in the README's Configuration table but never read"


def test_nothing_outside_config_reads_the_environment():
    sources = [p for p in (ROOT / "app").rglob("*.py")] + [ROOT / n for n in ("wsgi.py", "gunicorn.conf.py",
                                                                            "log_redaction.py")]
    readers = {}
    for path in sources:
        reads = {name for name, _ in _env_reads(ast.parse(path.read_text()))} - LIBRARY_VARIABLES
        reads |= {"os.environ[...]"} if re.search(r"os\.environ\[[^\]]+\](?!\s*=)", path.read_text()) else set()
        if reads:
            readers[str(path.relative_to(ROOT))] = reads
    assert readers == {}


SAMPLES = {"env_int": "7", "env_bool": "1", "env_list": "https://a.example,https://b.example"}


@pytest.mark.parametrize("variable", sorted(variables_in_config() - INTERNAL))
def test_every_variable_takes_effect(monkeypatch, variable):
    import config

    helpers = dict(reversed(_env_reads(ast.parse((ROOT / "config.py").read_text()))))
    sample = SAMPLES.get(helpers[variable], "postgresql://probe@db.example/probe" if variable == "DATABASE_URL"
                         else "7 per minute" if "_LIMIT_" in variable else "7")
    monkeypatch.delenv(variable, raising=False)
    before = _snapshot(importlib.reload(config))
    monkeypatch.setenv(variable, sample)
    after = _snapshot(importlib.reload(config))
    monkeypatch.delenv(variable)
    importlib.reload(config)
    assert before != after, f"setting {variable}={sample!r} changed nothing in config.py"


def _snapshot(module):
    return {(cls.__name__, k): repr(v) for cls in (module.Config, module.WebServer)
            for k, v in vars(cls).items() if not k.startswith("_")}
