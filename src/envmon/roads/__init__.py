"""Road-network particulate monitoring (全路网颗粒物监测): taxi PM sensors, map matching,
per-segment drive-pass statistics and monthly dirty/clean road rankings (roads.md)."""
