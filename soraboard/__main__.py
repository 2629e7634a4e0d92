from soraboard.cli import main

raise SystemExit(main())
