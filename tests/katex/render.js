// Renders every LaTeX string given on stdin (a JSON list of {tex, display}) with KaTeX, errors
// on, and prints a JSON list of the failures: {index, tex, error}.
const katex = require(process.argv[2]);
const items = JSON.parse(require("fs").readFileSync(0, "utf8"));
const failures = [];
items.forEach((item, index) => {
  try {
    katex.renderToString(item.tex, { displayMode: item.display, throwOnError: true, strict: "error" });
  } catch (error) {
    failures.push({ index, tex: item.tex, error: String(error.message) });
  }
});
process.stdout.write(JSON.stringify(failures));
