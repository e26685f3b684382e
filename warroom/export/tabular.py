"""CSV and Markdown cells made safe: `warroom.tabular`, under its older name.

The module lives in the core (the indicators write CSV through it, and the core
does not import `warroom.export`); its importers here and elsewhere may use either name.
"""

from warroom.tabular import csv_cell, md_table, md_text, to_csv

__all__ = ["csv_cell", "md_table", "md_text", "to_csv"]
