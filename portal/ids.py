"""Component ids of the portal, in one place."""

URL = "url"
THEME_STORE = "theme-store"
THEME_TOGGLE = "theme-toggle"
BELL_COUNT = "bell-count"
BELL_INTERVAL = "bell-interval"
#: The bell's dropdown (portal/shell.py): the toggle button, the panel, its list and "Mark all read".
BELL_TOGGLE = "bell-toggle"
BELL_MENU = "bell-menu"
BELL_LIST = "bell-list"
BELL_MARK_ALL = "bell-mark-all"
#: Whether the dropdown is open; and a stamp bumped when its list should be (re)loaded.
BELL_OPEN = "bell-open"
BELL_LOAD = "bell-load"
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
TASK_ATTACHMENTS = "task-attachments"
TASK_ATTACHMENT_UPLOAD = "task-attachment-upload"
#: The checked upload ({"contents", "filename"}) the server callback stores, and the size limit the browser checks first.
TASK_ATTACHMENT_PENDING = "task-attachment-pending"
TASK_ATTACHMENT_LIMIT = "task-attachment-limit"
TASK_ATTACHMENT_ERROR = "task-attachment-error"
#: Pattern-matching type of the delete buttons: {"type": TASK_ATTACHMENT_DELETE, "id": "<attachment id>"}.
TASK_ATTACHMENT_DELETE = "task-attachment-delete"

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
#: Bulk actions on the selected rows, and their per-row report.
TASKS_BULK_SELECTED = "tasks-bulk-selected"
TASKS_BULK_FIELD = "tasks-bulk-field"
TASKS_BULK_VALUE = "tasks-bulk-value"
TASKS_BULK_APPLY = "tasks-bulk-apply"
TASKS_BULK_RESULT = "tasks-bulk-result"
TASKS_BULK_DONE = "tasks-bulk-done"
TASKS_BULK_CLEARED = "tasks-bulk-cleared"
#: Saved views: the picker, name input, save / replace / delete, and their message.
TASKS_VIEWS = "tasks-views"
TASKS_VIEW_NAME = "tasks-view-name"
TASKS_VIEW_SAVE = "tasks-view-save"
TASKS_VIEW_REPLACE = "tasks-view-replace"
TASKS_VIEW_DELETE = "tasks-view-delete"
TASKS_VIEW_MESSAGE = "tasks-view-message"
TASKS_EXPORT = "tasks-export"

# New task, notifications and preferences (portal/pages/new_task.py, notifications.py, preferences.py): add ids below.
NEW_TASK_FORM = "new-task-form"
NEW_TASK_DENIED = "new-task-denied"
NEW_TASK_MESSAGE = "new-task-message"
NEW_TASK_REDIRECT = "new-task-redirect"
#: New-task inputs; each one's inline error is the element `<input id>-error`.
NEW_TASK_TITLE = "new-task-title"
NEW_TASK_DESCRIPTION = "new-task-description"
NEW_TASK_PRIORITY = "new-task-priority"
NEW_TASK_DUE = "new-task-due"
NEW_TASK_ASSIGNEE = "new-task-assignee"
NEW_TASK_TAGS = "new-task-tags"
NEW_TASK_CREATE = "new-task-create"
NOTIFICATIONS_LIST = "notifications-list"
NOTIFICATIONS_UNREAD = "notifications-unread"
NOTIFICATIONS_CURSOR = "notifications-cursor"
NOTIFICATIONS_MORE = "notifications-more"
NOTIFICATIONS_MARK_ALL = "notifications-mark-all"
NOTIFICATIONS_MESSAGE = "notifications-message"
#: Pattern-matching type of the per-item buttons: {"type": NOTIFICATIONS_MARK, "id": notification_id}.
NOTIFICATIONS_MARK = "notifications-mark"
#: Pattern-matching type of the switches: {"type": PREFERENCES_SWITCH, "kind": "<seed type>", "channel": "<channel>"}.
PREFERENCES_SWITCH = "preferences-switch"
PREFERENCES_SAVE = "preferences-save"
PREFERENCES_MESSAGE = "preferences-message"
#: The Admin's defaults grid: {"type": PREFERENCES_DEFAULT_SWITCH, "kind": "<seed type>", "channel": "<channel>"}.
PREFERENCES_DEFAULT_SWITCH = "preferences-default-switch"
PREFERENCES_DEFAULTS_SAVE = "preferences-defaults-save"
PREFERENCES_DEFAULTS_MESSAGE = "preferences-defaults-message"
PREFERENCES_EMAIL_MODE = "preferences-email-mode"
PREFERENCES_EMAIL_MODE_MESSAGE = "preferences-email-mode-message"

# Cases (portal/pages/cases.py, portal/pages/case.py): add ids below.
CASES_STATUS = "cases-status"
CASES_Q = "cases-q"
CASES_LIST = "cases-list"
CASES_CURSOR = "cases-cursor"
CASES_MORE = "cases-more"
#: The "Open a case" form; each input's inline error is the element `<input id>-error`.
CASES_TITLE_INPUT = "cases-title-input"
CASES_DESCRIPTION_INPUT = "cases-description-input"
CASES_CREATE = "cases-create"
CASES_GOTO = "cases-goto"
CASE_ID = "case-id"
CASE_STATUS = "case-status"
CASE_NOT_FOUND = "case-not-found"
CASE_HEADER = "case-header"
CASE_MESSAGE = "case-message"
CASE_TOGGLE = "case-toggle"
CASE_TITLE_INPUT = "case-title-input"
CASE_DESCRIPTION_INPUT = "case-description-input"
CASE_SAVE = "case-save"
CASE_PROGRESS = "case-progress"
CASE_BOARD = "case-board"
CASE_HISTORY = "case-history"
CASE_HISTORY_CURSOR = "case-history-cursor"
CASE_HISTORY_MORE = "case-history-more"
CASE_WATCH = "case-watch"
CASE_FORECAST = "case-forecast"
CASE_FORECAST_WEEKS = "case-forecast-weeks"
CASE_FORECAST_SUMMARY = "case-forecast-summary"

# User administration (portal/pages/admin_users.py)
ADMIN_USERS_DENIED = "admin-users-denied"
ADMIN_USERS_MESSAGE = "admin-users-message"
ADMIN_USERS_ROLE = "admin-users-role"
ADMIN_USERS_ACTIVE = "admin-users-active"
ADMIN_USERS_Q = "admin-users-q"
ADMIN_USERS_LIST = "admin-users-list"
ADMIN_USERS_CURSOR = "admin-users-cursor"
ADMIN_USERS_MORE = "admin-users-more"
#: Bumped after each create or save so the list reloads with the current filters.
ADMIN_USERS_CHANGED = "admin-users-changed"
#: Pattern-matching type of the per-row buttons: {"type": ADMIN_USERS_EDIT, "id": user_id}.
ADMIN_USERS_EDIT = "admin-users-edit"
#: The "Create user" form; each input's inline error is the element `<input id>-error`.
ADMIN_USERS_NEW_USERNAME = "admin-users-new-username"
ADMIN_USERS_NEW_EMAIL = "admin-users-new-email"
ADMIN_USERS_NEW_FULL_NAME = "admin-users-new-full-name"
ADMIN_USERS_NEW_ROLE = "admin-users-new-role"
ADMIN_USERS_NEW_DEPARTMENT = "admin-users-new-department"
ADMIN_USERS_NEW_PHONE = "admin-users-new-phone"
ADMIN_USERS_NEW_PASSWORD = "admin-users-new-password"
ADMIN_USERS_CREATE = "admin-users-create"
ADMIN_USERS_CREATE_MESSAGE = "admin-users-create-message"
#: The edit dialog; each input's inline error is the element `<input id>-error`.
ADMIN_USER_EDITOR = "admin-user-editor"
ADMIN_USER_EDITOR_TITLE = "admin-user-editor-title"
#: {"id": user_id, "original": {field: value}}: what the form was opened with, to send only changes.
ADMIN_USER_EDITING = "admin-user-editing"
ADMIN_USER_FULL_NAME = "admin-user-full-name"
ADMIN_USER_EMAIL = "admin-user-email"
ADMIN_USER_ROLE = "admin-user-role"
ADMIN_USER_DEPARTMENT = "admin-user-department"
ADMIN_USER_PHONE = "admin-user-phone"
ADMIN_USER_ACTIVE = "admin-user-active"
ADMIN_USER_SAVE = "admin-user-save"
ADMIN_USER_PASSWORD = "admin-user-password"
ADMIN_USER_SIGN_OUT = "admin-user-sign-out"
ADMIN_USER_MESSAGE = "admin-user-message"

# Analytics and workload (portal/pages/analytics.py, workload.py)
ANALYTICS_DENIED = "analytics-denied"
#: Filter controls: "<page>-dates", "<page>-department", "<page>-assignee", "<page>-priority", "<page>-tag".
ANALYTICS = "analytics"
WORKLOAD = "workload"
ANALYTICS_AS_OF = "analytics-as-of"
ANALYTICS_SOURCE = "analytics-source"
ANALYTICS_KPI = "analytics-kpi"
ANALYTICS_KPIS = "analytics-kpis"
ANALYTICS_TABS = "analytics-tabs"
ANALYTICS_URL = "analytics-url"
ANALYTICS_TAB_CONTENTS = "analytics-tab-contents"
ANALYTICS_MATRIX = "analytics-matrix"
ANALYTICS_REWORK = "analytics-rework"
ANALYTICS_TIME_IN_STATUS = "analytics-time-in-status"
ANALYTICS_WATCHLIST_ORDER = "analytics-watchlist-order"
ANALYTICS_SLA_PRIORITY = "analytics-sla-priority"
ANALYTICS_SLA_WEEK = "analytics-sla-week"
ANALYTICS_WATCHLIST = "analytics-watchlist"
ANALYTICS_WATCHLIST_SHOWN = "analytics-watchlist-shown"
ANALYTICS_WATCHLIST_MORE = "analytics-watchlist-more"
ANALYTICS_SANKEY = "analytics-sankey"
ANALYTICS_CYCLE = "analytics-cycle"
ANALYTICS_THROUGHPUT = "analytics-throughput"
ANALYTICS_CFD = "analytics-cfd"
ANALYTICS_AGING = "analytics-aging"
ANALYTICS_FORECAST = "analytics-forecast"
ANALYTICS_FORECAST_WEEKS = "analytics-forecast-weeks"
ANALYTICS_FORECAST_BY = "analytics-forecast-by"
ANALYTICS_FORECAST_SUMMARY = "analytics-forecast-summary"
#: The tasks behind the last clicked bar, link or point.
ANALYTICS_DRILL = "analytics-drill"
ANALYTICS_DRILL_ROWS = "analytics-drill-rows"
ANALYTICS_DRILL_CURSOR = "analytics-drill-cursor"
ANALYTICS_DRILL_MORE = "analytics-drill-more"
ANALYTICS_DRILL_SPEC = "analytics-drill-spec"
#: Pattern-matching type of the "Download CSV" links: {"type": REPORT_CSV, "report": ..., "table": ...}.
REPORT_CSV = "report-csv"
ANALYTICS_SLA_SETTINGS_LINK = "analytics-sla-settings-link"
#: SLA what if (everyone who reads analytics): inputs "sla-what-if-<Priority>" in hours, each with its `-error`.
SLA_WHAT_IF = "sla-what-if"
SLA_WHAT_IF_RUN = "sla-what-if-run"
SLA_WHAT_IF_MESSAGE = "sla-what-if-message"
SLA_WHAT_IF_RESULT = "sla-what-if-result"
SLA_WHAT_IF_CARD = "sla-what-if-card"
SLA_WHAT_IF_FILTERS = "sla-what-if-filters"
WORKLOAD_DENIED = "workload-denied"
WORKLOAD_ASSIGNEES = "workload-assignees"
WORKLOAD_DEPARTMENTS = "workload-departments"
WORKLOAD_UNASSIGNED = "workload-unassigned"
WORKLOAD_DRILL = "workload-drill"
WORKLOAD_DRILL_ROWS = "workload-drill-rows"
WORKLOAD_DRILL_CURSOR = "workload-drill-cursor"
WORKLOAD_DRILL_MORE = "workload-drill-more"
WORKLOAD_DRILL_SPEC = "workload-drill-spec"

# Background exports (portal/components/export_panel.py, on the task table and analytics pages): ids
# "<page>-<kind>", e.g. "analytics-export-start": the start button, the export being watched, its poll, progress
# and result.
EXPORT_START = "export-start"
EXPORT_JOB = "export-job"
EXPORT_POLL = "export-poll"
EXPORT_PROGRESS = "export-progress"
EXPORT_RESULT = "export-result"
EXPORT_TABLE = "export-table"

# SLA settings (portal/pages/sla_settings.py, Admins only). Per priority the target in hours
# "sla-settings-hours-<Priority>" (with its `-error`) and "sla-settings-business-<Priority>"; per weekday
# "sla-settings-open-<Weekday>", "sla-settings-start-<Weekday>", "sla-settings-end-<Weekday>" and
# "sla-settings-day-<Weekday>-error".
SLA_SETTINGS_DENIED = "sla-settings-denied"
SLA_SETTINGS_HOURS = "sla-settings-hours"
SLA_SETTINGS_BUSINESS = "sla-settings-business"
SLA_SETTINGS_TARGETS_SAVE = "sla-settings-targets-save"
SLA_SETTINGS_TARGETS_MESSAGE = "sla-settings-targets-message"
SLA_SETTINGS_TIMEZONE = "sla-settings-timezone"
SLA_SETTINGS_OPEN = "sla-settings-open"
SLA_SETTINGS_START = "sla-settings-start"
SLA_SETTINGS_END = "sla-settings-end"
SLA_SETTINGS_DAY = "sla-settings-day"
SLA_SETTINGS_WEEK_ERROR = "sla-settings-week-error"
SLA_SETTINGS_HOLIDAYS = "sla-settings-holidays"
SLA_SETTINGS_CALENDAR_SAVE = "sla-settings-calendar-save"
SLA_SETTINGS_CALENDAR_MESSAGE = "sla-settings-calendar-message"
# The SLA settings' Escalations card: per priority "sla-escalation-warn-<Priority>" (switch),
# "sla-escalation-percent-<Priority>" (with its `-error`), "sla-escalation-breach-<Priority>",
# "sla-escalation-raise-<Priority>" and "sla-escalation-return-<Priority>".
SLA_ESCALATIONS_CARD = "sla-escalations-card"
SLA_ESCALATION_WARN = "sla-escalation-warn"
SLA_ESCALATION_PERCENT = "sla-escalation-percent"
SLA_ESCALATION_BREACH = "sla-escalation-breach"
SLA_ESCALATION_RAISE = "sla-escalation-raise"
SLA_ESCALATION_RETURN = "sla-escalation-return"
SLA_ESCALATIONS_SAVE = "sla-escalations-save"
SLA_ESCALATIONS_MESSAGE = "sla-escalations-message"

# Task page actions and case membership
#: The case pickers of the task edit form and the new task form (searchable; empty: no case).
TASK_CASE_INPUT = "task-case-input"
NEW_TASK_CASE = "new-task-case"
#: The task page's top bar: Watch/Unwatch, who watches, Delete with its confirmation, the way back after it.
TASK_WATCH = "task-watch"
TASK_WATCHERS = "task-watchers"
TASK_WATCHERS_NAMES = "task-watchers-names"
TASK_DELETE = "task-delete"
#: "Take it": an unassigned task assigned to the user who may take it (an Agent who neither made nor holds it).
TASK_TAKE = "task-take"
TASK_DELETE_MODAL = "task-delete-modal"
TASK_DELETE_CONFIRM = "task-delete-confirm"
TASK_DELETE_CANCEL = "task-delete-cancel"
TASK_GOTO = "task-goto"
#: The case page's "Add task" link and "Add existing task" picker (shown while the case is open).
CASE_ADD = "case-add"
CASE_ADD_TASK = "case-add-task"
CASE_ADD_EXISTING = "case-add-existing"
CASE_ADD_EXISTING_PANEL = "case-add-existing-panel"
CASE_ADD_EXISTING_PICKER = "case-add-existing-picker"
CASE_ADD_EXISTING_SAVE = "case-add-existing-save"
CASES_EMPTY = "cases-empty"

# Board drag and drop, WIP limits, swimlanes
#: The answer to the last move (menu or drop): {"ok", "id", "nonce"}; assets/board.js settles a dropped card on it.
BOARD_MOVED = "board-answer"
BOARD_DEPARTMENT = "board-department"
BOARD_LANES = "board-lanes"
#: The column shown on a phone (one at a time).
BOARD_PHONE_COLUMN = "board-phone-column"
BOARD_WIP_OPEN = "board-wip-open"
BOARD_WIP_MODAL = "board-wip-modal"
BOARD_WIP_SCOPE = "board-wip-scope"
#: Pattern-matching type of the limit inputs: {"type": BOARD_WIP_INPUT, "status": ...}.
BOARD_WIP_INPUT = "board-wip-input"
BOARD_WIP_SAVE = "board-wip-save"
BOARD_WIP_MESSAGE = "board-wip-message"

# Shell, 404, preferences channels
#: The navbar's "Admin" menu (Users, SLA settings, ...; Managers see their settings there), for whoever may open one.
NAV_ADMIN_MENU = "nav-admin-menu"
#: The portal's own 404 page (portal/pages/not_found_404.py) and its list of the pages the user may open.
NOT_FOUND = "not-found"
NOT_FOUND_PAGES = "not-found-pages"
#: The users table's empty state when the filters find nobody, and its "Clear filters" button.
ADMIN_USERS_EMPTY = "admin-users-empty"
ADMIN_USERS_CLEAR = "admin-users-clear"
#: Which channels this deployment delivers, and why the others' switches are off.
PREFERENCES_CHANNELS = "preferences-channels"

# Profile and time zones
#: The browser's IANA zone (Intl), filled clientside in the shell; stored once while the user has none.
BROWSER_ZONE = "browser-zone"
#: The user menu's link to the profile page (portal/shell.py).
NAV_PROFILE = "nav-profile"
# The profile page (portal/pages/profile.py): each input with its `-error`.
PROFILE_FULL_NAME = "profile-full-name"
PROFILE_EMAIL = "profile-email"
PROFILE_PHONE = "profile-phone"
PROFILE_TIME_ZONE = "profile-time-zone"
PROFILE_SAVE = "profile-save"
PROFILE_MESSAGE = "profile-message"
PROFILE_CURRENT_PASSWORD = "profile-current-password"
PROFILE_NEW_PASSWORD = "profile-new-password"
PROFILE_PASSWORD_SAVE = "profile-password-save"
PROFILE_PASSWORD_MESSAGE = "profile-password-message"
#: "Times in New York time" above the task grid.
TASKS_ZONE_NOTE = "tasks-zone-note"
#: The one-line notice a page shows when another page sent the user there (portal/components/notice.py).
PAGE_NOTICE = "page-notice"
#: Preferences' link to the profile page, where the password is changed.
PREFERENCES_PASSWORD_LINK = "preferences-password-link"

# Auto-assignment (portal/pages/assignment_settings.py) and the profile's away flag
ASSIGNMENT_DENIED = "assignment-denied"
ASSIGNMENT_EMPTY = "assignment-empty"
#: Pattern-matching types, each {"type": ..., "department": <name>}: a department's mode, its Save, its message.
ASSIGNMENT_MODE = "assignment-mode"
ASSIGNMENT_SAVE = "assignment-save"
ASSIGNMENT_MESSAGE = "assignment-message"
#: A department's card (same pattern), holding its Agents' table.
ASSIGNMENT_CARD = "assignment-card"
PROFILE_AWAY = "profile-away"
PROFILE_AWAY_UNTIL = "profile-away-until"
PROFILE_AWAY_SAVE = "profile-away-save"
PROFILE_AWAY_MESSAGE = "profile-away-message"
# The profile page's service tokens (portal/components/tokens_panel.py).
TOKENS_SECTION = "tokens-section"
TOKENS_NAME = "tokens-name"
TOKENS_EXPIRY = "tokens-expiry"
TOKENS_ACCESS = "tokens-access"
TOKENS_CREATE = "tokens-create"
#: The new token's secret, shown once (with its copy button), and the panel's messages.
TOKENS_CREATED = "tokens-created"
TOKENS_SECRET = "tokens-secret"
TOKENS_COPY = "tokens-copy"
TOKENS_MESSAGE = "tokens-message"
#: The user's own tokens and, for Admins, everyone's usable ones; changed when a token is created or revoked.
TOKENS_OWN = "tokens-own"
TOKENS_ALL = "tokens-all"
TOKENS_CHANGED = "tokens-changed"
#: A row's "Revoke" button ({"type": TOKENS_REVOKE, "token": <id>, "list": "own" | "all"}) and the question
#: before it is done.
TOKENS_REVOKE = "tokens-revoke"
TOKENS_PENDING = "tokens-pending"
TOKENS_CONFIRM = "tokens-confirm"
TOKENS_CONFIRM_TEXT = "tokens-confirm-text"
TOKENS_CONFIRM_YES = "tokens-confirm-yes"
TOKENS_CONFIRM_NO = "tokens-confirm-no"
# The profile page's report subscriptions (portal/components/subscriptions_panel.py).
SUBSCRIPTIONS_SECTION = "subscriptions-section"
SUBSCRIPTIONS_LIST = "subscriptions-list"
SUBSCRIPTIONS_MESSAGE = "subscriptions-message"
#: A subscription's "Delete" button: {"type": SUBSCRIPTIONS_DELETE, "subscription": <id>}.
SUBSCRIPTIONS_DELETE = "subscriptions-delete"
#: "Subscribe" beside a page's export button: its frequency, weekday, hour, button and result, each `<page>-<kind>`.
SUBSCRIBE_FREQUENCY = "subscribe-frequency"
SUBSCRIBE_WEEKDAY = "subscribe-weekday"
SUBSCRIBE_HOUR = "subscribe-hour"
SUBSCRIBE_BUTTON = "subscribe-button"
SUBSCRIBE_RESULT = "subscribe-result"
# The Admin's webhooks page (portal/pages/admin_webhooks.py).
WEBHOOKS_DENIED = "webhooks-denied"
WEBHOOKS_URL = "webhooks-url"
WEBHOOKS_EVENTS = "webhooks-events"
WEBHOOKS_SECRET = "webhooks-secret"
WEBHOOKS_ADD = "webhooks-add"
#: The new endpoint's secret, shown once (with its copy button), and the page's messages.
WEBHOOKS_CREATED = "webhooks-created"
WEBHOOKS_SECRET_SHOWN = "webhooks-secret-shown"
WEBHOOKS_COPY = "webhooks-copy"
WEBHOOKS_MESSAGE = "webhooks-message"
#: The endpoints with their latest deliveries; changed when one is added, tested or deleted, or on "Refresh".
WEBHOOKS_LIST = "webhooks-list"
WEBHOOKS_CHANGED = "webhooks-changed"
WEBHOOKS_REFRESH = "webhooks-refresh"
#: A row's "Send test" and "Delete" buttons ({"type": ..., "webhook": <id>}) and the question before a deletion.
WEBHOOKS_TEST = "webhooks-test"
WEBHOOKS_DELETE = "webhooks-delete"
WEBHOOKS_PENDING = "webhooks-pending"
WEBHOOKS_CONFIRM = "webhooks-confirm"
WEBHOOKS_CONFIRM_TEXT = "webhooks-confirm-text"
WEBHOOKS_CONFIRM_YES = "webhooks-confirm-yes"
WEBHOOKS_CONFIRM_NO = "webhooks-confirm-no"
# The Admin's audit log page (portal/pages/admin_audit.py): its filters, rows, paging and refusal.
ADMIN_AUDIT_DENIED = "admin-audit-denied"
ADMIN_AUDIT_SUBJECT = "admin-audit-subject"
ADMIN_AUDIT_SINCE = "admin-audit-since"
ADMIN_AUDIT_LIST = "admin-audit-list"
ADMIN_AUDIT_CURSOR = "admin-audit-cursor"
ADMIN_AUDIT_MORE = "admin-audit-more"
