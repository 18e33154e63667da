"""`python -m agent.cli`: the storydesk command line."""

import sys

from agent.cli import main

sys.exit(main())
