// dcc.Graph's Plotly: the portal's own bundle (only the traces its charts draw, a third of plotly.min.js;
// see scripts/plotly/README.md), fetched on first need, or at once on a page that opens with charts so that
// it loads and compiles while the page's layout and figures are on their way rather than after them.
// dcc.Graph waits on `Promise.resolve(window.Plotly)`, so until the bundle runs window.Plotly is a
// promise-like of it; the bundle's own `var Plotly` then replaces it with Plotly itself.
(function () {
    "use strict";
    if (window.Plotly) {
        return;
    }
    var config = JSON.parse(document.getElementById("_dash-config").textContent);
    var prefix = config.requests_pathname_prefix || "/";
    var loading = null;

    function load() {
        if (!loading) {
            loading = new Promise(function (resolve, reject) {
                var script = document.createElement("script");
                script.src = prefix + "assets/vendor/plotly-portal.min.js?v=4.1.1";
                script.async = true;
                script.onload = function () {
                    // The bundle's `var Plotly` has replaced the promise-like by now; anything else is a broken load.
                    if (window.Plotly && window.Plotly.react) {
                        resolve(window.Plotly);
                    } else {
                        reject(new Error("the charts could not be loaded"));
                    }
                };
                script.onerror = function () { loading = null; reject(new Error("the charts could not be loaded")); };
                document.head.appendChild(script);
            });
        }
        return loading;
    }

    window.Plotly = {then: function (resolve, reject) { return load().then(resolve, reject); }};
    var path = "/" + window.location.pathname.slice(prefix.length);
    if (/^\/(analytics|cases\/)/.test(path)) {
        load();
    }
})();
