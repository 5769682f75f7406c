from audit.entrypoints.cli import main

raise SystemExit(main())
