"""Bulletins (通报): one data model per bulletin, rendered to XLSX, HTML and PDF (zh-CN).

`envmon.reports.common` holds the shared machinery (the `Bulletin` model and its blocks,
`write_xlsx`, `render_html`, `write_pdf`, charts with a CJK font); each domain builds its own
`Bulletin` (e.g. `envmon.reports.air`) and hands it to these renderers.
"""
