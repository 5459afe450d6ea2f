"""Data marks with review (数据标记): a unit marks a period of a point's data (停产, 设备维护,
通讯中断 …) with proof documents, the bureau approves or rejects it, and only an approved mark
changes the figures.

Where things go:
- `types`: the mark types (seeded from the national enterprise data-return interface, more
  from `[marks]` of the configuration file) and `EFFECTS`, what an approved mark of each does;
- `settings`: `[marks]` (proof size limits, the filing deadline);
- `tables`: the store tables (schema version 11, which also copies the old exemptions and
  corrections into `marks`);
- `proofs`: checking uploaded proof documents (size, content magic);
- `review`: filing, proofs, approve / reject / withdraw, and the mirror rows of the old
  `envmon assess exemption|correction` commands;
- `api`: the use cases the CLI (`envmon marks …`) and the web (`/api/v1/marks/…`) call.

How an approved mark changes figures: its effect is carried by one row of the assessment's
`exemptions` (effect ``exempt``) or `corrections` (``invalid``, ``repair``) table, written in
the approval's transaction and linked from the mark (`source_table`, `source_id`). Every
figure (assessment, alarms, emissions, back-fill) already reads those tables, so a mark is
never counted twice and a submitted, rejected or withdrawn mark changes nothing.
"""
