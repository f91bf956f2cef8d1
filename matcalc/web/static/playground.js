// The playground: the objective derived as it is typed, through the server's JSON API
// (POST /api/symbols, /api/diff or /api/hessian, /api/codegen, /api/check). The whole state
// lives in the address, so that a link reproduces the page. Math arrives as MathML that the
// server typeset; everything else is set as text.

const SEED = { expression: "||X - D R||_F^2", wrt: "D" };
const DEBOUNCE_MS = 250;
const KINDS = ["inferred", "scalar", "vector", "matrix", "symmetric"];
// each choice's first word is its default, which the address leaves out
const CHOICES = {
  layout: ["denominator", "numerator"],
  convention: ["seed", "matrixcalculus"],
  notation: ["auto", "latex"],
  tab: ["gradient", "hessian"],
};

const $ = (id) => document.getElementById(id);

const state = {
  expression: SEED.expression,
  wrt: SEED.wrt,
  ...Object.fromEntries(Object.entries(CHOICES).map(([key, allowed]) => [key, allowed[0]])),
  shapes: {}, // name -> the shape as the command line writes it: "m,n", "n", "scalar", "n,n,symmetric"
  direction: "",
};

let latest = 0; // the newest run: answers to older ones are dropped
let shown = null; // the answer on the page, for the copy buttons
let timer = null;
let shownTable = ""; // the symbols and declarations the table shows

// ---- the address --------------------------------------------------------------------------

function readAddress() {
  const query = new URLSearchParams(window.location.search);
  if (!query.has("e")) return;
  state.expression = query.get("e");
  state.wrt = query.get("wrt") || "";
  for (const [key, allowed] of Object.entries(CHOICES)) {
    if (allowed.includes(query.get(key))) state[key] = query.get(key);
  }
  state.direction = query.get("direction") || "";
  state.shapes = {};
  for (const declared of query.getAll("shape")) {
    const at = declared.indexOf("=");
    if (at > 0) state.shapes[declared.slice(0, at)] = declared.slice(at + 1);
  }
}

function writeAddress() {
  const query = new URLSearchParams();
  query.set("e", state.expression);
  if (state.wrt) query.set("wrt", state.wrt);
  for (const [key, allowed] of Object.entries(CHOICES)) {
    if (state[key] !== allowed[0]) query.set(key, state[key]);
  }
  if (state.tab === "hessian" && state.direction) query.set("direction", state.direction);
  for (const [name, spec] of Object.entries(state.shapes)) query.append("shape", `${name}=${spec}`);
  window.history.replaceState(null, "", `?${query.toString()}`);
}

// ---- the API ------------------------------------------------------------------------------

async function post(endpoint, fields) {
  const response = await fetch(`/api/${endpoint}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(fields),
  });
  const answer = await response.json();
  return { ok: response.ok && answer.error === undefined, answer };
}

function problem() {
  return {
    expression: state.expression,
    shapes: state.shapes,
    convention: state.convention,
    notation: state.notation,
  };
}

function derivative() {
  return { ...problem(), wrt: state.wrt, layout: state.layout };
}

function second() {
  return state.tab === "hessian" ? { hessian: true, direction: state.direction } : {};
}

// ---- running ------------------------------------------------------------------------------

function schedule() {
  clearTimeout(timer);
  document.body.classList.add("working"); // from the keystroke on, what is shown is stale
  timer = setTimeout(run, DEBOUNCE_MS);
}

async function run() {
  writeAddress();
  const mine = ++latest;
  try {
    const symbols = await post("symbols", problem());
    if (mine !== latest) return;
    if (!symbols.ok) return showError(symbols.answer.error);
    showSymbols(symbols.answer.symbols);
    if (!state.wrt) return showError({ kind: "name error", message: "the objective has no symbol to differentiate by" });
    const endpoint = state.tab === "hessian" ? "hessian" : "diff";
    const fields = state.tab === "hessian" ? { ...derivative(), direction: state.direction } : derivative();
    const [derived, code] = await Promise.all([
      post(endpoint, fields),
      post("codegen", { ...problem(), wrt: state.wrt, ...second() }),
    ]);
    if (mine !== latest) return;
    if (!derived.ok) return showError(derived.answer.error);
    showError(null);
    showAnswer(derived.answer);
    $("code").textContent = code.ok ? code.answer.source : "";
    $("copy-code").disabled = !code.ok;
  } catch (failure) {
    if (mine === latest) showError({ kind: "connection error", message: `the server did not answer (${failure.message})` });
  } finally {
    if (mine === latest) document.body.classList.remove("working");
  }
}

// ---- showing ------------------------------------------------------------------------------

function showError(error) {
  $("error").hidden = error === null;
  $("answer").classList.toggle("stale", error !== null);
  if (error === null) return;
  const place = error.line ? ` at line ${error.line}, column ${error.column}` : "";
  $("error-message").textContent = `${error.kind}${place}: ${error.message}`;
  $("error-caret").textContent = error.caret !== undefined ? `${error.source}\n${error.caret}` : "";
  $("error-caret").hidden = error.caret === undefined;
}

function showSymbols(symbols) {
  const names = symbols.map((symbol) => symbol.name);
  if (!names.includes(state.wrt)) state.wrt = names[0] || "";
  const select = $("wrt");
  select.replaceChildren(...names.map((name) => new Option(name, name, false, name === state.wrt)));
  for (const name of Object.keys(state.shapes)) {
    if (!names.includes(name)) delete state.shapes[name];
  }
  const table = JSON.stringify([symbols, state.shapes]);
  if (table !== shownTable) { // rebuilt only when it changed: an input being typed in stays
    shownTable = table;
    $("symbols").tBodies[0].replaceChildren(...symbols.map(symbolRow));
  }
  writeAddress();
}

function kindOf(symbol) {
  if (symbol.declared.includes("symmetric")) return "symmetric";
  if (symbol.rows === 1 && symbol.cols === 1) return "scalar";
  return symbol.cols === 1 ? "vector" : "matrix";
}

function symbolRow(symbol) {
  const row = document.createElement("tr");
  row.dataset.name = symbol.name;
  const declared = symbol.name in state.shapes;
  row.classList.toggle("declared", declared);
  const name = document.createElement("td");
  name.textContent = symbol.name;
  const kind = document.createElement("select");
  kind.className = "kind";
  kind.setAttribute("aria-label", `${symbol.name}'s kind`);
  for (const option of KINDS) {
    const label = option === "inferred" ? `${kindOf(symbol)} (inferred)` : option;
    kind.append(new Option(label, option, false, declared ? option === kindOf(symbol) : option === "inferred"));
  }
  const rows = sizeInput(symbol.name, "rows", symbol.rows);
  const cols = sizeInput(symbol.name, "cols", symbol.cols);
  // a size typed on an inferred row declares the kind inferred, with that size
  const declare = () => {
    const chosen = kind.value === "inferred" ? kindOf(symbol) : kind.value;
    declareShape(symbol.name, chosen, rows.value.trim(), cols.value.trim());
  };
  kind.addEventListener("change", () => declareShape(symbol.name, kind.value, rows.value.trim(), cols.value.trim()));
  rows.addEventListener("change", declare);
  cols.addEventListener("change", declare);
  const reset = document.createElement("button");
  reset.type = "button";
  reset.textContent = "inferred";
  reset.title = "forget the declaration";
  reset.hidden = !declared;
  reset.addEventListener("click", () => {
    delete state.shapes[symbol.name];
    schedule();
  });
  row.append(name, cell(kind), cell(rows), cell(cols), cell(reset));
  return row;
}

function sizeInput(name, which, value) {
  const input = document.createElement("input");
  input.className = which;
  input.size = 4;
  input.spellcheck = false;
  input.value = String(value);
  input.setAttribute("aria-label", `${name}'s ${which}`);
  return input;
}

function cell(content) {
  const td = document.createElement("td");
  td.append(content);
  return td;
}

function declareShape(name, kind, rows, cols) {
  const spec = {
    inferred: null,
    scalar: "scalar",
    vector: rows || "n",
    matrix: `${rows || "m"},${cols || "n"}`,
    symmetric: `${rows || "n"},${rows || "n"},symmetric`,
  }[kind];
  if (spec === null) delete state.shapes[name];
  else state.shapes[name] = spec;
  schedule();
}

function showAnswer(answer) {
  shown = answer;
  $("result-name").textContent = `${answer.result_name}, ${answer.shape}`;
  typeset($("result"), answer.mathml.result);
  $("result").dataset.text = answer.result;
  typeset($("factored"), answer.mathml.factored);
  $("factored-row").hidden = answer.factored === answer.result;
  $("where").replaceChildren(...answer.mathml.where.map(namedValue));
  typeset($("derivation"), answer.mathml.derivation);
  $("check-result").textContent = "";
  $("check-result").className = "";
}

// The server's MathML (and its HTML around a derivation), parsed inert, less the <style> that
// a notebook needs and this page's policy refuses (playground.css has the same rules).
function typeset(element, markup) {
  const template = document.createElement("template");
  template.innerHTML = markup;
  for (const style of template.content.querySelectorAll("style")) style.remove();
  element.replaceChildren(template.content);
}

function namedValue(binding) {
  const item = document.createElement("li");
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = `${binding.name} = `;
  const value = document.createElement("span");
  typeset(value, binding.value);
  item.append(name, value);
  return item;
}

async function check() {
  const out = $("check-result");
  const asked = latest; // a check of what the page shows now: dropped if the input changes
  out.className = "";
  out.textContent = "checking…";
  let said;
  try {
    const { ok, answer } = await post("check", { ...derivative(), ...second() });
    said = ok ? checked(answer.check) : { text: `${answer.error.kind}: ${answer.error.message}` };
  } catch (failure) {
    said = { text: `the server did not answer (${failure.message})` };
  }
  if (asked !== latest) return;
  out.textContent = said.text;
  out.className = said.verdict || "";
}

function checked(found) {
  const against = found.differences_of === "f" ? "" : ` of ${found.differences_of}`;
  const inputs = `(random inputs in ${found.inputs}, float64)`;
  if (found.reason) return { text: `not checked: ${found.reason} ${inputs}` };
  const error = found.relative_error.toExponential(1);
  return {
    text: `${found.agrees ? "agrees" : "DISAGREES"} with central differences${against}: relative error ${error} ${inputs}`,
    verdict: found.agrees ? "agrees" : "disagrees",
  };
}

async function copy(text) {
  await navigator.clipboard.writeText(text);
  $("copied").textContent = "copied";
  setTimeout(() => ($("copied").textContent = ""), 1500);
}

// ---- wiring -------------------------------------------------------------------------------

function selectTab(tab) {
  state.tab = tab;
  $("tab-gradient").setAttribute("aria-selected", String(tab === "gradient"));
  $("tab-hessian").setAttribute("aria-selected", String(tab === "hessian"));
  $("direction-label").hidden = tab !== "hessian";
  schedule();
}

async function start() {
  readAddress();
  $("expression").value = state.expression;
  $("layout").value = state.layout;
  $("convention").value = state.convention;
  $("notation-mode").value = state.notation;
  $("direction").value = state.direction;
  selectTab(state.tab === "hessian" ? "hessian" : "gradient");

  $("expression").addEventListener("input", (event) => {
    state.expression = event.target.value;
    schedule();
  });
  for (const [id, key] of [["wrt", "wrt"], ["layout", "layout"], ["convention", "convention"], ["notation-mode", "notation"]]) {
    $(id).addEventListener("change", (event) => {
      state[key] = event.target.value;
      schedule();
    });
  }
  $("direction").addEventListener("input", (event) => {
    state.direction = event.target.value.trim();
    schedule();
  });
  $("tab-gradient").addEventListener("click", () => selectTab("gradient"));
  $("tab-hessian").addEventListener("click", () => selectTab("hessian"));
  $("check").addEventListener("click", check);
  $("copy-latex").addEventListener("click", () => shown && copy(shown.result_latex));
  $("copy-text").addEventListener("click", () => shown && copy(shown.result));
  $("copy-code").addEventListener("click", () => copy($("code").textContent));
  $("notation-toggle").addEventListener("click", toggleNotation);
}

async function toggleNotation() {
  const panel = $("notation");
  panel.hidden = !panel.hidden;
  $("notation-toggle").setAttribute("aria-expanded", String(!panel.hidden));
  if (!panel.hidden && !$("notation-text").textContent) {
    const response = await fetch("/api/notation");
    $("notation-text").textContent = (await response.json()).text;
  }
}

start();
