"""Pages for people: the story page (the desk's pages join it)."""
