// The portal's Plotly: the core (which draws scatter traces) and only the other traces reports/figures.py draws.
// A figure with another trace type draws nothing: add its module here and rebuild (see README.md beside this file).
var Plotly = require("plotly.js/lib/core");

Plotly.register([require("plotly.js/lib/bar"), require("plotly.js/lib/heatmap"), require("plotly.js/lib/sankey")]);

module.exports = Plotly;
