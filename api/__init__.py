"""The REST API: one route table of Flask-RESTful resources under /api."""
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, jsonify, request
from flask_restful import Api
from flask_swagger_ui import get_swaggerui_blueprint
from sqlalchemy import text
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from api import attachments, audit, auth, board, cases, exports, notifications, outbox, reports, sla, tasks, users
from api import assignment
from api import webhooks
from api import tokens
from api import subscriptions
from api import escalations
from api.base import BaseResource
from api.errors import envelope, to_response
from db import DATABASE_ERRORS, RETRY_AFTER_SECONDS, session


@dataclass(frozen=True)
class Route:
    path: str  # OpenAPI style: {task_id}
    resource: type[BaseResource]
    endpoint: str

    @property
    def flask_path(self) -> str:
        return self.path.replace("{", "<").replace("}", ">")


#: Every API route, in the order the OpenAPI document lists them.
ROUTES = [
    Route("/auth/login", auth.Login, "login"),
    Route("/auth/logout", auth.Logout, "logout"),
    Route("/tasks", tasks.TaskList, "tasks"),
    Route("/tasks/{task_id}", tasks.TaskItem, "task"),
    Route("/tasks/{task_id}/status", tasks.TaskStatusResource, "task_status"),
    Route("/tasks/{task_id}/history", tasks.TaskHistoryResource, "task_history"),
    Route("/tasks/{task_id}/comments", tasks.TaskComments, "task_comments"),
    Route("/tasks/{task_id}/watchers", tasks.TaskWatchers, "task_watchers"),
    Route("/tasks/{task_id}/attachments", attachments.TaskAttachments, "task_attachments"),
    Route("/tasks/{task_id}/attachments/{attachment_id}", attachments.TaskAttachmentItem, "task_attachment"),
    Route("/cases", cases.CaseList, "cases"),
    Route("/cases/{case_id}", cases.CaseItem, "case"),
    Route("/cases/{case_id}/watchers", cases.CaseWatchers, "case_watchers"),
    Route("/users", users.UserList, "users"),
    Route("/users/{user_id}", users.UserItem, "user"),
    Route("/users/{user_id}/sessions", auth.UserSessions, "user_sessions"),
    Route("/tokens", tokens.TokenList, "tokens"),
    Route("/tokens/{token_id}", tokens.TokenItem, "token"),
    Route("/notifications", notifications.NotificationList, "notifications"),
    Route("/notifications/unread-count", notifications.NotificationUnreadCount, "notifications_unread_count"),
    Route("/notifications/read-all", notifications.NotificationReadAll, "notifications_read_all"),
    Route("/notifications/settings", notifications.NotificationSettings, "notification_settings"),
    Route("/notifications/settings/defaults", notifications.NotificationDefaults, "notification_defaults"),
    Route("/notifications/settings/email", notifications.NotificationEmailMode, "notification_email_mode"),
    Route("/notifications/{notification_id}/read", notifications.NotificationRead, "notification_read"),
    Route("/admin/outbox", outbox.OutboxList, "admin_outbox"),
    Route("/admin/outbox/{message_id}/retry", outbox.OutboxRetry, "admin_outbox_retry"),
    Route("/webhooks", webhooks.WebhookList, "webhooks"),
    Route("/webhooks/{webhook_id}", webhooks.WebhookItem, "webhook"),
    Route("/webhooks/{webhook_id}/test", webhooks.WebhookTest, "webhook_test"),
    Route("/audit", audit.AuditList, "audit"),
    Route("/reports/tasks", reports.TaskReport, "report_tasks"),
    Route("/reports/sla", reports.SlaReport, "report_sla"),
    Route("/reports/workload", reports.WorkloadReport, "report_workload"),
    Route("/reports/status-flow", reports.StatusFlowReport, "report_status_flow"),
    Route("/reports/flow-metrics", reports.FlowMetricsReport, "report_flow_metrics"),
    Route("/reports/forecast", reports.ForecastReport, "report_forecast"),
    Route("/exports", exports.ExportList, "exports"),
    Route("/exports/{export_id}", exports.ExportItem, "export"),
    Route("/subscriptions", subscriptions.SubscriptionList, "subscriptions"),
    Route("/subscriptions/{subscription_id}", subscriptions.SubscriptionItem, "subscription"),
    Route("/sla/targets", sla.SlaTargets, "sla_targets"),
    Route("/sla/calendar", sla.SlaCalendarResource, "sla_calendar"),
    Route("/sla/escalations", escalations.SlaEscalations, "sla_escalations"),
    Route("/board/wip-limits", board.WipLimits, "board_wip_limits"),
    Route("/assignment-rules", assignment.AssignmentRules, "assignment_rules"),
]


class JsonApi(Api):
    """Flask-RESTful with our error envelope for everything a resource raises."""

    def handle_error(self, e):
        if isinstance(e, MethodNotAllowed):
            # Werkzeug's own list adds HEAD and OPTIONS (and any catch-all's GET): say the API's methods.
            return _no_api_route()
        return to_response(e)


def _api_blueprint() -> Blueprint:
    blueprint = Blueprint("api", __name__, url_prefix="/api")
    api = JsonApi(blueprint)
    for route in ROUTES:
        api.add_resource(route.resource, route.flask_path, endpoint=route.endpoint)

    # The local store's signed download links (S3 links go to S3 itself).
    blueprint.add_url_rule("/files/<token>", "attachment_file", attachments.attachment_file)
    # A report subscription's e-mailed link (signed, expiring): leads to a fresh download link.
    blueprint.add_url_rule("/subscriptions/files/<token>", "subscription_file", subscriptions.subscription_file)
    # The resources answer through JsonApi; the plain routes above get the same envelope (503 in an outage).
    for kind in DATABASE_ERRORS:
        blueprint.register_error_handler(kind, to_response)

    @blueprint.get("/openapi.json")
    def openapi_document():
        from api.openapi import build_document

        return jsonify(build_document(ROUTES))

    return blueprint


def _guard_api_paths() -> None:
    """/api/... that no API route serves is a JSON 404, even where another app catches all paths;
    OPTIONS names the API's own methods (Flask's would add the portal's catch-all GET)."""
    if not (request.path.startswith("/api/") or request.path == "/api"):
        return None
    endpoint = request.endpoint or ""
    if endpoint.startswith("swagger_ui"):
        return None
    if request.method == "OPTIONS":
        return _options()
    if request.url_rule is not None and not endpoint.startswith("api."):
        return _no_api_route()
    return None


def _api_methods() -> list[str]:
    """The methods an API route serves at this request's path (the portal's catch-all aside): for a
    documented path, exactly the methods the OpenAPI document lists. `Allow` says these and no more."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    methods = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            rule, _args = adapter.match(method=method, return_rule=True)
        except HTTPException:
            continue
        if rule.endpoint.startswith("api."):
            methods.append(method)
    return methods


def _no_api_route():
    """405 if the API serves this path with other methods, else 404."""
    methods = _api_methods()
    if methods:
        return to_response(MethodNotAllowed(valid_methods=methods))
    return envelope(404, "not_found", "no such API endpoint")


def _options():
    """204 with the path's methods in `Allow` (no authentication: it tells nothing a document does not), else 404."""
    methods = _api_methods()
    if not methods:
        return envelope(404, "not_found", "no such API endpoint")
    response = current_app.response_class(status=204)
    response.headers["Allow"] = ", ".join(methods)
    return response


def _http_error(exc):
    if not request.path.startswith("/api"):
        return exc
    if isinstance(exc, MethodNotAllowed):
        return _no_api_route()
    return to_response(exc)


def init_app(app: Flask) -> None:
    """Register the API, its docs, the health checks and JSON errors for /api."""
    app.register_blueprint(_api_blueprint())
    app.register_blueprint(
        get_swaggerui_blueprint("/api/docs", "/api/openapi.json", config={"app_name": "Workflow Manager API", "validatorUrl": None}),
        url_prefix="/api/docs",
    )
    app.before_request(_guard_api_paths)
    app.register_error_handler(HTTPException, _http_error)

    @app.get("/healthz")
    def healthz():
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        """The database answers."""
        try:
            session.execute(text("SELECT 1"))
        except Exception:  # any driver error means not ready
            session.rollback()
            return {"status": "database unavailable"}, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return {"status": "ok"}
