"""The portal's own Plotly bundle: the version the Python package draws for, every trace type the charts use,
and in the browser the only Plotly a chart page loads."""
import json
import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs_version

from db.models import Role
from tests.portal.conftest import sign_in

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "assets" / "vendor" / "plotly-portal.min.js"
BUILD = ROOT / "scripts" / "plotly"
#: Plotly's core draws scatter traces; the other trace modules are registered by the build's entry.js.
CORE_TRACES = {"scatter"}
#: Calls that add a trace: go.Bar(...), fig.add_bar(...); add_annotation/add_shape/add_hline draw no trace.
TRACE_CALL = re.compile(r"\bgo\.([A-Z][a-z]+)\(|\.add_([a-z]+)\(")
NOT_TRACES = {"figure", "annotation", "shape", "hline", "vline", "hrect", "vrect", "layout_image", "trace", "traces"}


def _bundled_traces() -> set[str]:
    entry = (BUILD / "entry.js").read_text()
    return CORE_TRACES | set(re.findall(r'require\("plotly\.js/lib/([a-z0-9]+)"\)', entry)) - {"core"}


def _drawn_traces() -> set[str]:
    found = set()
    for path in [*(ROOT / "reports").glob("*.py"), *(ROOT / "portal").rglob("*.py")]:
        text = path.read_text()
        if "plotly" not in text:
            continue  # add_comment(...) and the like are not figures
        for go_name, added in TRACE_CALL.findall(text):
            found.add((go_name or added).lower())
    return found - NOT_TRACES


def test_the_bundle_is_the_plotly_version_the_python_package_draws_for():
    version = get_plotlyjs_version()
    assert json.loads((BUILD / "package.json").read_text())["devDependencies"]["plotly.js"] == version
    assert f'.version="{version}"' in BUNDLE.read_text()


def test_every_trace_type_the_charts_draw_is_in_the_bundle():
    drawn = _drawn_traces()
    assert {"bar", "heatmap", "sankey", "scatter"} <= drawn  # the scan finds the charts' calls
    assert drawn <= _bundled_traces(), f"rebuild scripts/plotly with {sorted(drawn - _bundled_traces())}"


@pytest.mark.live
def test_a_chart_page_loads_only_the_portal_bundle_and_draws(page, live_server, portal_user):
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    sign_in(page, live_server.url, portal_user(Role.MANAGER), next_path="/analytics")
    page.click("#analytics-tabs a:text('Flow')")
    page.wait_for_selector("#analytics-sankey .main-svg", state="attached")
    page.wait_for_selector("#analytics-matrix .main-svg", state="attached")
    assert page.evaluate("window.Plotly.version") == get_plotlyjs_version()
    assert [url for url in fetched if "plotly-portal.min.js" in url]
    assert not [url for url in fetched if "plotly.min.js" in url and "plotly-portal" not in url]


@pytest.mark.live
def test_a_page_without_charts_does_not_fetch_plotly_until_one_is_opened(page, live_server, portal_user):
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    sign_in(page, live_server.url, portal_user(Role.MANAGER), next_path="/")
    page.wait_for_selector("#home-tasks", state="attached")
    assert not [url for url in fetched if "plotly-portal.min.js" in url or "plotly.min.js" in url]
    # Navigated to within the page: dcc.Graph asks for Plotly, which loads then.
    page.click("nav a[href='/analytics']")
    page.wait_for_selector("#analytics-sla-priority .main-svg", state="attached")
    page.wait_for_function("window.Plotly && window.Plotly.react !== undefined")
    assert [url for url in fetched if "plotly-portal.min.js" in url]


def test_the_figures_template_is_plotly_white_cut_to_what_the_figures_draw():
    import plotly.io as pio

    from reports import figures

    white = pio.templates["plotly_white"].to_plotly_json()
    kept = figures.TEMPLATE.to_plotly_json()
    # Every trace type a figure draws is styled as plotly_white styles it (Sankey: plotly_white has no style for it).
    assert set(kept["data"]) == _drawn_traces() - {"sankey"} == set(figures.TEMPLATED_TRACES)
    assert all(kept["data"][kind] == white["data"][kind] for kind in kept["data"])
    # The 2-D layout is plotly_white's; what is left out is only the subplots no figure draws.
    assert {key: white["layout"][key] for key in kept["layout"]} == kept["layout"]
    assert set(white["layout"]) - set(kept["layout"]) <= set(figures.UNUSED_SUBPLOTS)
    assert len(json.dumps(kept)) < len(json.dumps(white)) / 2
    assert figures.sla_by_priority(figures.pd.DataFrame(
        {"priority": ["High"], "met": [3], "breached": [1]})).layout.template.to_plotly_json() == kept
