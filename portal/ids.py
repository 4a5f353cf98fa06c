"""Component ids of the portal, in one place."""

URL = "url"
THEME_STORE = "theme-store"
THEME_TOGGLE = "theme-toggle"
BELL_COUNT = "bell-count"
BELL_INTERVAL = "bell-interval"
NAV_USER = "nav-user"

HOME_COUNTS = "home-counts"
HOME_TASKS = "home-tasks"

# Task board (portal/pages/board.py): add its ids below this line.

# Task detail (portal/pages/task.py): add its ids below this line.
