"""Small helpers over the tables crm.inventory.lines reads."""

import pyarrow as pa
import pyarrow.compute as pc


def plain(table: pa.Table) -> pa.Table:
    """Dictionary-encoded columns (lineage, repeated names) as plain values: the compute kernels used here
    (joins of key parts, sorts, group keys) want one type per column whichever way a file was written."""
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, pc.cast(table.column(i), field.type.value_type))
    return table
