// The portal's Plotly bundle, built with the settings plotly.js builds its own with (its esbuild-config.js).
const esbuild = require("esbuild");
const { environmentPlugin } = require("esbuild-plugin-environment");
const InlineCSSPlugin = require("esbuild-plugin-inline-css");

esbuild
  .build({
    entryPoints: ["entry.js"],
    outfile: process.argv[2],
    format: "iife",
    globalName: "Plotly",
    bundle: true,
    minify: true,
    legalComments: "eof",
    plugins: [InlineCSSPlugin(), environmentPlugin({ NODE_DEBUG: false })],
    alias: { stream: "stream-browserify" },
    define: { global: "window", "define.amd": "false" },
    target: "es2016",
  })
  .catch(() => process.exit(1));
