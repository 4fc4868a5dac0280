"""Column-at-a-time masks over Arrow string arrays.

The common masks (by position: ID numbers, mobiles, bank cards, credit codes;
names; e-mail) never loop over rows in Python:

* ASCII columns with an ASCII mask character are masked on the string bytes
  with NumPy: the data buffer is copied once and the hidden positions are
  overwritten; the offsets keep their widths. A column of equal widths
  (18-character ID numbers, 11-digit mobiles) is one strided write.
* Other columns (Chinese text, a non-ASCII mask character) are built with
  Arrow compute kernels: slices, ``binary_repeat`` and a join.

Masks that need a value's structure (addresses, free text, keyed hashes,
pseudonyms, dates as text) run a Python function once per *distinct* value and
spread the results back with ``take`` (:func:`map_unique`).

Every slot of the data buffer is masked, null slots included, so no hidden
byte survives in the buffers of the result.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from govdata.masking.partial import FIXED_MASK_LENGTH, DateLevel
from govdata.masking.surnames import COMPOUND_SURNAMES

_ROWS_PER_PASS = 1 << 16
_MAX_DISTINCT_WIDTHS = 64
_COMPOUND = pa.array(COMPOUND_SURNAMES, type=pa.string())


# Columns this short are masked value by value: equal to the column kernels (the
# tests prove it), without their fixed cost per call.
FEW_VALUES = 8


def few_strings(values: pa.Array | pa.ChunkedArray) -> list[str | None]:
    """A short column's values as text."""
    if pa.types.is_string(values.type):
        found: list[str | None] = values.to_pylist()
        return found
    return as_string_array(values).to_pylist()  # type: ignore[no-any-return]


def as_string_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous ``string`` array (chunks combined, other types cast)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    if not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    return values


def _offsets_and_data(
    values: pa.Array,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    size = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[
        values.offset : values.offset + size + 1
    ].astype(np.int64)
    data_buffer = values.buffers()[2]
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)
        if data_buffer is not None and data_buffer.size
        else np.zeros(0, dtype=np.uint8)
    )
    return offsets, data[offsets[0] : offsets[-1]]


def _rebuild(
    values: pa.Array, offsets: npt.NDArray[np.int64], data: npt.NDArray[np.uint8]
) -> pa.Array:
    # A fresh bitmap starts at bit 0 whatever the slice offset of ``values`` was.
    validity = pc.is_valid(values).buffers()[1] if values.null_count else None
    zero_based = (offsets - offsets[0]).astype(np.int32)
    return pa.Array.from_buffers(
        pa.string(),
        len(values),
        [validity, pa.py_buffer(zero_based), pa.py_buffer(data)],
        null_count=values.null_count,
    )


def _mask_ascii_bytes(
    values: pa.Array, keep_prefix: int, keep_suffix: int, mask_byte: int
) -> pa.Array | None:
    """The byte-level mask, or None for non-ASCII data or too many distinct widths."""
    offsets, data = _offsets_and_data(values)
    if data.size and int(data.max()) >= 0x80:
        return None
    out = data.copy()
    starts = offsets[:-1] - offsets[0]
    widths = np.diff(offsets)
    if len(values) and widths.min() == widths.max():
        width = int(widths[0])
        if width:
            matrix = out.reshape(len(values), width)
            if width <= keep_prefix + keep_suffix:
                matrix[:] = mask_byte
            else:
                matrix[:, keep_prefix : width - keep_suffix] = mask_byte
        return _rebuild(values, offsets, out)
    distinct = np.unique(widths)
    if len(distinct) > _MAX_DISTINCT_WIDTHS:
        return None
    for width in distinct.tolist():
        if width == 0:
            continue
        if width <= keep_prefix + keep_suffix:
            hidden = np.arange(width)
        else:
            hidden = np.arange(keep_prefix, width - keep_suffix)
        rows = starts[widths == width]
        for first in range(0, len(rows), _ROWS_PER_PASS):
            chunk = rows[first : first + _ROWS_PER_PASS]
            out[(chunk[:, None] + hidden[None, :]).ravel()] = mask_byte
    return _rebuild(values, offsets, out)


def mask_middle_column(
    values: pa.Array | pa.ChunkedArray, keep_prefix: int, keep_suffix: int, mask_char: str = "*"
) -> pa.Array:
    """:func:`~govdata.masking.partial.mask_middle` over a whole column."""
    array = as_string_array(values)
    if not len(array):
        return array
    if mask_char.isascii():
        masked = _mask_ascii_bytes(array, keep_prefix, keep_suffix, ord(mask_char))
        if masked is not None:
            return masked
    length = pc.utf8_length(array)
    short = pc.less_equal(length, keep_prefix + keep_suffix)
    hidden = pc.if_else(short, length, pc.subtract(length, keep_prefix + keep_suffix))
    prefix = pc.utf8_slice_codeunits(array, 0, keep_prefix)
    if keep_suffix:
        suffix = pc.utf8_slice_codeunits(array, -keep_suffix)
    else:
        suffix = pc.utf8_slice_codeunits(array, 0, 0)
    empty = pa.scalar("", pa.string())
    return pc.binary_join_element_wise(
        pc.if_else(short, empty, prefix),
        pc.binary_repeat(mask_char, hidden),
        pc.if_else(short, empty, suffix),
        "",
    )


def mask_name_column(values: pa.Array | pa.ChunkedArray, mask_char: str = "*") -> pa.Array:
    """:func:`~govdata.masking.partial.mask_name` over a whole column.

    Arrow kernels do the string work (slices, ``is_in`` on the first two
    characters, ``binary_repeat``, a join); the integer work is NumPy. A
    byte-level version for 3-byte characters was measured slower: gathering
    variable-width names costs more than these kernels.
    """
    array = as_string_array(values)
    length = _ints(pc.utf8_length(array))
    first_two = pc.utf8_slice_codeunits(array, 0, 2)
    compound = np.asarray(
        pc.fill_null(pc.is_in(first_two, value_set=_COMPOUND), False).to_numpy(
            zero_copy_only=False
        ),
        dtype=np.bool_,
    ) & (length >= 3)
    keep = np.minimum(np.where(compound, 2, 1), np.maximum(length - 1, 0))
    prefix = pc.if_else(pa.array(compound), first_two, pc.utf8_slice_codeunits(array, 0, 1))
    if (keep == 0).any():  # one-character names: nothing is kept
        prefix = pc.if_else(pa.array(keep == 0), pa.scalar("", pa.string()), prefix)
    hidden = pa.array(length - keep, mask=~_valid(array))
    return pc.binary_join_element_wise(prefix, pc.binary_repeat(mask_char, hidden), "")


def _valid(values: pa.Array) -> npt.NDArray[np.bool_]:
    if not values.null_count:
        return np.ones(len(values), dtype=np.bool_)
    return np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=np.bool_)


def _ints(values: pa.Array) -> npt.NDArray[np.int64]:
    """An integer array as NumPy, nulls as 0 (their results are null anyway)."""
    return np.asarray(pc.fill_null(values, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


def mask_email_column(values: pa.Array | pa.ChunkedArray, mask_char: str = "*") -> pa.Array:
    """:func:`~govdata.masking.partial.mask_email` over a whole column."""
    array = as_string_array(values)
    shaped = pc.match_substring_regex(array, "^[^@]+@")
    kept = pc.replace_substring_regex(
        array, "^([^@])[^@]*@", "\\1" + mask_char * FIXED_MASK_LENGTH + "@", max_replacements=1
    )
    whole = pc.binary_repeat(mask_char, pc.utf8_length(array))
    return pc.if_else(shaped, kept, whole)


def map_unique(
    values: pa.Array | pa.ChunkedArray, function: Callable[[str], str | None]
) -> pa.Array:
    """``function`` applied once per distinct value, spread back over the column."""
    if len(values) <= FEW_VALUES:  # a look-up's row or two: no kernels' fixed cost
        texts = few_strings(values)
        mapped = {text: function(text) for text in dict.fromkeys(texts) if text is not None}
        return pa.array([None if text is None else mapped[text] for text in texts], pa.string())
    array = as_string_array(values)
    encoded = pc.dictionary_encode(array)
    results = [function(value) for value in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(results, type=pa.string()), encoded.indices)


def generalize_date_column(
    values: pa.Array | pa.ChunkedArray,
    level: DateLevel,
    text_function: Callable[[str], str | None],
) -> pa.Array:
    """Dates to ``YYYY`` or ``YYYY-MM``: typed date columns with compute kernels,
    text columns through ``text_function`` once per distinct value."""
    if isinstance(values, pa.ChunkedArray):
        values = as_string_array(values) if not values.num_chunks else values.combine_chunks()
    if not (pa.types.is_date(values.type) or pa.types.is_timestamp(values.type)):
        return map_unique(values, text_function)
    year = pc.utf8_lpad(pc.cast(pc.year(values), pa.string()), 4, "0")
    if level is DateLevel.YEAR:
        return year
    month = pc.utf8_lpad(pc.cast(pc.month(values), pa.string()), 2, "0")
    return pc.binary_join_element_wise(year, month, "-")


def suppressed_column(size: int, replacement: str | None) -> pa.Array:
    """``size`` nulls, or ``size`` copies of ``replacement``."""
    if replacement is None:
        return pa.nulls(size, pa.string())
    return pa.repeat(pa.scalar(replacement, pa.string()), size)
