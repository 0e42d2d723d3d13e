"""Digests of a record's checked fields: a record whose digest changed is « à vérifier » again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from store.fields import CHECKED_FIELDS
from store.schema import (
    animator_places,
    referencings,
)

if TYPE_CHECKING:
    # Only for annotations: loaders.pipeline imports store.privacy, which imports this module.
    pass


def _content_hashes(records: pd.DataFrame, checked: Sequence[str] = CHECKED_FIELDS) -> pd.Series:
    """A digest of what a moderator checked, per record (``checked``: :data:`CHECKED_FIELDS` by default).

    The MD5 of the ``str()`` of every checked cell (missing values included, so that the digest
    does not depend on dtypes), joined by ``\x1f``: stored digests must stay comparable across
    versions, or every validated record would go back to « à vérifier ».
    """
    fields = [name for name in checked if name in records.columns]
    joined = pc.binary_join_element_wise(*map(_cell_texts, (records[name] for name in fields)),
                                         pa.scalar("\x1f", pa.large_string()))
    if isinstance(joined, pa.ChunkedArray):
        joined = joined.combine_chunks()
    # Once per distinct text: the records of one person, or of one place, share their checked cells.
    encoded = pc.dictionary_encode(joined.cast(pa.large_binary()))
    digests = np.array([hashlib.md5(text, usedforsecurity=False).hexdigest()
                        for text in encoded.dictionary.to_pylist()], dtype=object)
    return pd.Series(digests[encoded.indices.to_numpy()], index=records.index, dtype=object)


def _cell_texts(column: pd.Series) -> pa.Array:
    """``str()`` of every cell; a text column is converted by Arrow (most checked cells are text), a column
    of numbers, booleans or date-times through its distinct values (records share their place's coordinates).
    """
    if isinstance(column.dtype, pd.StringDtype):
        return pa.array(column).cast(pa.large_string()).fill_null(str(column.dtype.na_value))
    values = np.ascontiguousarray(column.to_numpy())
    if values.dtype.kind not in "biufmM":
        return pa.array(list(map(str, column.tolist())), type=pa.large_string())
    # Distinct bit patterns, not values: 0.0 and -0.0 are equal but print apart.
    codes, distinct = pd.factorize(values.view(f"i{values.itemsize}"))
    texts = map(str, pd.Series(distinct.view(values.dtype)).tolist())
    return pa.array(list(texts), type=pa.large_string()).take(codes)


def _convert_legacy_digests(conn: Connection, records: pd.DataFrame) -> None:
    """Turn the digests written by migration 0005 into today's, where nothing a moderator checked changed.

    0005 keeps the whole-record digests of older stores (:data:`CHECKED_FIELDS`) in capitals, on the
    referencings and on the links it made. When an import brings a record whose whole-record digest is
    such a stored digest, the stored one becomes the record's person (referencing) or place (link)
    digest, so that the verdict stays. Only stores upgraded by 0005 hold capitals: others skip this.
    """
    legacy = {table: conn.execute(sa.select(*(table.c[name] for name in keys), table.c.content_hash)
                                  .where(table.c.content_hash != sa.func.lower(table.c.content_hash))).all()
              for table, keys in ((referencings, ("animator_id", "theme")),
                                  (animator_places, ("animator_id", "place_id")))}
    if records.empty or not any(legacy.values()):
        return
    whole = records.assign(legacy_hash=_content_hashes(records).str.upper())
    for table, keys, digest in ((referencings, ["animator_id", "theme"], "content_hash"),
                                (animator_places, ["animator_id", "place_id"], "place_hash")):
        stored = pd.DataFrame(legacy[table], columns=[*keys, "legacy_hash"])
        same = whole[[*keys, "legacy_hash", digest]].merge(stored, on=[*keys, "legacy_hash"]).drop_duplicates(keys)
        if same.empty:
            continue
        conn.execute(table.update().where(*(table.c[name] == sa.bindparam(f"k_{name}") for name in keys))
                     .values(content_hash=sa.bindparam("digest")),
                     [{**{f"k_{name}": row[name] for name in keys}, "digest": row[digest]}
                      for row in same.to_dict("records")])
