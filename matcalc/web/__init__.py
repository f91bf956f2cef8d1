"""The playground: `matcalc serve` (server.py) answers a page (static/) and its JSON API
(api.py), on this machine only."""
