"""`python -m matcalc` is the `matcalc` command."""

from matcalc.cli import main

raise SystemExit(main())
