import sys

from carte.commands import main

sys.exit(main())
