"""Today's overview of the platform (the screen on the monitoring centre's wall): the use case
`api.overview`, read by `GET /api/v1/overview` and the 总览 page."""
