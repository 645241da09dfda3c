"""Reports and comparisons drawn from saved results and profiles only: the data (``data``),
charts (``charts``), Markdown/HTML documents (``document``) and side-by-side comparisons
(``compare``)."""
