"""Bulletins (通报): one data model per bulletin, rendered to XLSX, HTML and PDF (zh-CN).

One module per job:
- `model`: the `Bulletin` and its blocks (`Paragraph`, `Table`, `Chart`, `Calendar`, `Cell`),
  value formatting, `ReportError`;
- `xlsx`, `html`, `pdf`: the three renderers of a bulletin (pdf prints the html);
- `charts` (matplotlib, SVG + PNG) with `fonts` (the CJK font);
- one builder module per domain (`air`, `transmission`, `roads`, `emissions`) that turns a
  domain result into a `Bulletin`.

A new bulletin is a builder module here; a use-case result offers it with `bulletin()` and
`envmon.render` writes it (`render(result, "pdf")`; a `Bulletin` itself renders too, and
`envmon.cli.options.emit_many` writes several formats into a folder). A new block kind
goes in `model` with its rendering in `xlsx` and `html`. `common` only re-exports the names
that lived there before the split.
"""
