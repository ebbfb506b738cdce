"""Re-embed every chunk of a store with another embedder variant, built aside and swapped in whole."""
from __future__ import annotations

import sys
import time
from itertools import islice

from .embedding import Embedder
from .ingest import BATCH_CHUNKS, embed_once
from .models import ReindexReport, StoreMismatch
from .store import Store, embedding_input


def reindex(store: Store, embedder: Embedder, progress: bool = False) -> ReindexReport:
    """Re-embed the store's chunks with ``embedder``, keeping their ids, texts and metadata.

    The new vectors fill a collection beside the store's, which replaces it only once complete:
    a kill at any point leaves the store usable, with the old variant or the new one.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    recorded = store.settings()
    if recorded is None:
        raise StoreMismatch(f"store {store.path} is empty: nothing to reindex")
    settings = {**recorded, "embedding_model": embedder.name, "embedding_variant": embedder.variant}
    rebuilt = store.rebuild_aside(settings)
    rows = store.iter_chunks(["documents", "metadatas"])
    done = 0
    with tqdm(total=store.count(), unit=" chunks", file=sys.stderr, disable=not progress, dynamic_ncols=True) as bar:
        while batch := list(islice(rows, BATCH_CHUNKS)):
            ids, docs, metas = map(list, zip(*batch))
            vectors = embed_once(embedder, [embedding_input(m["title"], d) for d, m in zip(docs, metas)])
            store.add_aside(rebuilt, ids, vectors, docs, metas)
            done += len(ids)
            bar.update(len(ids))
    store.swap_in(rebuilt)
    return ReindexReport(done, str(recorded["embedding_variant"]), embedder.variant, time.perf_counter() - started)
