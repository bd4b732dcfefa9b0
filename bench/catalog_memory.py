"""The in-memory catalog's cost per chunk, by part: the index's catalog (built from its database when
its file is of another format) is saved to a temporary file and restored under tracemalloc, as a
serving process restores it at start; every Python object and numpy array it holds is counted.

Run by hand, from the repository root, on a copy of an index (opening it may rewrite its catalog file):

    .venv/bin/python bench/catalog_memory.py --index-dir ../bench-data/rtqa-index-copy
"""

import argparse
import gc
import json
import sys
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.catalog.catalog import Catalog  # noqa: E402
from index.store.opening import open_store  # noqa: E402
from qa.settings import Settings  # noqa: E402

from common import commit  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True)
    args = parser.parse_args()
    settings = Settings(index_dir=args.index_dir)
    manifest = json.loads((args.index_dir / "manifest.json").read_text())
    store = open_store(args.index_dir, model=manifest["model"], dimension=manifest["dimension"], create=False,
                       faiss_index=settings.faiss_index)
    state = store._catalogs.catalog.state()
    store.close()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "catalog.npz"
        with open(path, "wb") as file:
            np.savez(file, **state)
        del state
        gc.collect()
        with np.load(path, allow_pickle=False) as saved:
            loaded = {name: saved[name] for name in saved.files}
        tracemalloc.start()
        catalog = Catalog.restore(loaded)
        del loaded
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
        snapshot = tracemalloc.take_snapshot()
        tracemalloc.stop()
    chunks = catalog.chunks
    report = {
        "commit": commit(), "chunks": chunks, "articles": len(catalog._article_ids),
        "bytes per chunk": round(held / chunks, 1),
        "by the line that allocated it (bytes per chunk)": {
            f"{Path(stat.traceback[0].filename).parent.name}/{Path(stat.traceback[0].filename).name}:"
            f"{stat.traceback[0].lineno}": round(stat.size / chunks, 1)
            for stat in snapshot.statistics("lineno")[:10]},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
