// llmgate console: progressive enhancement only. Every page works as plain HTML forms; this
// adds copy buttons, confirmations and the playground's streaming. No inline script anywhere
// (the Content-Security-Policy forbids it), and answers are shown with textContent only.
"use strict";

function csrfToken() {
  const m = document.querySelector('meta[name="csrf-token"]');
  return m ? m.content : "";
}

document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-copy]");
  if (!b) return;
  const code = b.parentElement.querySelector("code");
  if (code && navigator.clipboard) {
    navigator.clipboard.writeText(code.textContent).then(() => { b.textContent = "Copied"; });
  }
});

document.addEventListener("submit", (e) => {
  const f = e.target;
  if (f.dataset.confirm && !window.confirm(f.dataset.confirm)) e.preventDefault();
});

// Playground: sends the input as an OpenAI-shaped request through the gateway's query path and
// shows the answer token by token.
(function playground() {
  const form = document.getElementById("playground");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const opt = $("pg-endpoint").selectedOptions[0];
    if (!opt) return;
    const type = opt.dataset.type.split("/").pop();
    const input = $("pg-input").value;
    const body = { model: opt.value };
    if (type === "chat") { body.messages = [{ role: "user", content: input }]; }
    else if (type === "completions") { body.prompt = input; }
    else { body.input = [input]; }
    const streamed = type !== "embeddings";
    if (streamed) { body.stream = true; body.stream_options = { include_usage: true }; }
    const out = $("pg-output");
    out.textContent = "";
    for (const id of ["pg-status", "pg-ttft", "pg-latency", "pg-tokens", "pg-request"]) $(id).textContent = "…";
    $("pg-send").disabled = true;
    const start = performance.now();
    let first = 0;
    try {
      const resp = await fetch(form.dataset.action || ("/console/playground/" + type), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify(body),
      });
      $("pg-status").textContent = String(resp.status);
      $("pg-request").textContent = resp.headers.get("X-Request-Id") || "—";
      if (!resp.ok || !streamed || !resp.body || !(resp.headers.get("Content-Type") || "").includes("text/event-stream")) {
        const text = await resp.text();
        first = performance.now();
        showWhole(out, type, resp.ok, text);
      } else {
        const reader = resp.body.getReader();
        const dec = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (!line.startsWith("data:")) continue;
            const data = line.slice(5).trim();
            if (data === "[DONE]") continue;
            let chunk;
            try { chunk = JSON.parse(data); } catch (_) { continue; }
            if (chunk.error) { out.textContent += "\n[error] " + (chunk.error.message || ""); continue; }
            const c = (chunk.choices || [])[0];
            const piece = c ? ((c.delta && c.delta.content) || c.text || "") : "";
            if (piece) { if (!first) first = performance.now(); out.textContent += piece; }
            if (chunk.usage) $("pg-tokens").textContent = tokens(chunk.usage);
          }
        }
      }
      $("pg-ttft").textContent = first ? Math.round(first - start) + " ms" : "—";
      $("pg-latency").textContent = Math.round(performance.now() - start) + " ms";
      if ($("pg-tokens").textContent === "…") $("pg-tokens").textContent = "—";
    } catch (err) {
      out.textContent = "Request failed: " + err;
    } finally {
      $("pg-send").disabled = false;
    }
  });

  function tokens(u) {
    return (u.prompt_tokens || 0) + " prompt + " + (u.completion_tokens || 0) + " completion = " + (u.total_tokens || 0);
  }

  function showWhole(out, type, ok, text) {
    let j;
    try { j = JSON.parse(text); } catch (_) { out.textContent = text; return; }
    if (!ok) { out.textContent = (j.error && j.error.message) || text; return; }
    if (j.usage) $("pg-tokens").textContent = tokens(j.usage);
    if (type === "embeddings") {
      const v = (j.data && j.data[0] && j.data[0].embedding) || [];
      out.textContent = "embedding of " + v.length + " dimensions: [" + v.slice(0, 8).join(", ") + (v.length > 8 ? ", …]" : "]");
      return;
    }
    const c = (j.choices || [])[0] || {};
    out.textContent = (c.message && c.message.content) || c.text || text;
  }
})();

// Type-ahead pickers: an input with data-lookup="users|orgs" fills its datalist with the
// gateway's matches as the admin types.
(function typeAhead() {
  for (const input of document.querySelectorAll("input[data-lookup]")) {
    const list = document.getElementById(input.getAttribute("list"));
    let timer = 0;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const resp = await fetch("/console/admin/lookup/" + input.dataset.lookup + "?q=" + encodeURIComponent(input.value),
          { credentials: "same-origin" });
        if (!resp.ok) return;
        const found = await resp.json();
        list.replaceChildren(...found.map((g) => {
          const o = document.createElement("option");
          o.value = g.Name;
          o.label = g.Detail || g.Name;
          return o;
        }));
      }, 150);
    });
  }
})();

// A form marked data-autosubmit posts itself once the page has loaded (the key hand-off to
// `llmgate login`); its button stays for a browser with scripts off.
for (const f of document.querySelectorAll("form[data-autosubmit]")) f.submit();
