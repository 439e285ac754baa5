"""Small file helpers shared by the reference scripts: a file's sha256, an atomic write (temporary
name, then rename) and the fixtures' JSON layout (one top-level key per line, values compact, so
diffs stay readable and the files small)."""
import hashlib
import json
import os


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def atomic_write(path, data):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def to_json(obj):
    items = [f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False, separators=(', ', ': '))}" for k, v in obj.items()]
    return "{\n" + ",\n".join(items) + "\n}\n"
