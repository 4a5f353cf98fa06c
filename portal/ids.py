"""Component ids of the portal, in one place."""

URL = "url"
THEME_STORE = "theme-store"
THEME_TOGGLE = "theme-toggle"
BELL_COUNT = "bell-count"
BELL_INTERVAL = "bell-interval"
NAV_USER = "nav-user"

HOME_COUNTS = "home-counts"
HOME_TASKS = "home-tasks"

# Task board (portal/pages/board.py)
BOARD = "board"
BOARD_FILTERS = "board-filters"
BOARD_SCOPE = "board-scope"
BOARD_PRIORITY = "board-priority"
BOARD_TAG = "board-tag"
BOARD_Q = "board-q"
BOARD_ALERT = "board-alert"
#: Pattern-matching types: per column {"type": ..., "status": status}, per card {"type": ..., "id": task_id, ...}.
BOARD_CARDS = "board-cards"
BOARD_CURSOR = "board-cursor"
BOARD_MORE = "board-more"
BOARD_MOVE = "board-move"

# Task detail (portal/pages/task.py)
TASK_ID = "task-id"
TASK_VERSION = "task-version"
TASK_MESSAGE = "task-message"
TASK_NOT_FOUND = "task-not-found"
TASK_FIELDS = "task-fields"
TASK_FORM = "task-form"
#: Edit form inputs; each one's inline error is the element `<input id>-error`.
TASK_TITLE_INPUT = "task-title-input"
TASK_DESCRIPTION_INPUT = "task-description-input"
TASK_PRIORITY_INPUT = "task-priority-input"
TASK_DUE_INPUT = "task-due-input"
TASK_ASSIGNEE_INPUT = "task-assignee-input"
TASK_TAGS_INPUT = "task-tags-input"
TASK_SAVE = "task-save"
#: Pattern-matching type of the move buttons: {"type": TASK_MOVE, "status": "<target status>"}.
TASK_MOVE = "task-move"
TASK_HISTORY = "task-history"
TASK_COMMENTS = "task-comments"
TASK_COMMENT_INPUT = "task-comment-input"
TASK_COMMENT_ADD = "task-comment-add"

# Task table (portal/pages/tasks_table.py)
TASKS_GRID = "tasks-grid"
TASKS_CURSORS = "tasks-grid-cursors"
#: Pattern-matching type of the filter controls: {"type": TASKS_FILTERS, "name": "<filter>"}.
TASKS_FILTERS = "tasks-filters"
TASKS_FILTERS_APPLIED = "tasks-filters-applied"
TASKS_EDIT_RESULT = "tasks-edit-result"
TASKS_REFRESH = "tasks-grid-refresh"
TASKS_REFRESHED = "tasks-grid-refreshed"
TASKS_OPEN_TASK = "tasks-open-task"

# New task, notifications and preferences (portal/pages/new_task.py, notifications.py, preferences.py): add ids below.

# Cases (portal/pages/cases.py, portal/pages/case.py): add ids below.
