"""Remote control (反控, issue 13 item 7): commands the platform sends to a unit over its live
HJ 212 connection, and their answers.

`actions` (pure: action → CN and CP), `tables` + `storage` (the `commands` table),
`dispatcher` (queues, sends, follows 9011/9012/9013, times out; attached to the receiver by
`envmon.app.Platform`), `api` (the use cases the web API and the CLI call).
"""
