"""The enterprise portal (环保码, issue 13 item 3).

Each unit has a stable, unguessable public code (`codes`) printed as a QR code on a placard
(`placard`, `qr`) that opens its public card (`card`: name, outlets, today's states, the
month's rates, open alarms by kind, its grade). Logged in, an enterprise sees its own portal
(`api.summary`): its points and latest data, alarms it can answer with a note and
attachments (`answers`), the daily 即时/补全 rates of D-1 and the month so far and the hours
that lower them (`rates`), its supervision notices and its grade with reasons.

Settings: `[portal]` (`settings.PortalSettings`). Tables: `tables` (schema version 12).
A new portal figure goes into `api` (composed from the domains' use cases, never new
counting rules here).
"""
