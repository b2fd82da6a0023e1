/// The panel's stylesheet and script, served from `/static` (the Content-Security-Policy allows
/// nothing else: no inline code, no CDN).
enum AdminAssets {
    static let css = """
        :root { --fg: #1d2330; --muted: #667085; --line: #d9dee8; --accent: #0b6bcb; --bg: #f6f8fb; --err: #b42318; --ok: #067647; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.5rem; background: #14213d; color: #fff; flex-wrap: wrap; }
        header a { color: #dbe7ff; text-decoration: none; }
        header a[aria-current] { color: #fff; font-weight: 600; border-bottom: 2px solid #7fb2ff; }
        header nav { display: flex; gap: 1rem; flex: 1; flex-wrap: wrap; align-items: center; }
        .brand { font-weight: 700; font-size: 1.1rem; color: #fff !important; }
        .tenant-name { background: #24365f; padding: .1rem .5rem; border-radius: 4px; }
        .who { display: flex; gap: .6rem; align-items: center; font-size: .9rem; }
        main { max-width: 1100px; margin: 1.5rem auto; padding: 0 1.5rem; }
        h1 { font-size: 1.5rem; margin: 0 0 1rem; }
        h2 { font-size: 1.15rem; margin: 1.6rem 0 .6rem; }
        .card > h2:first-child { margin-top: 0; }
        section.card, .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.2rem; margin-bottom: 1rem; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1rem; }
        table { width: 100%; border-collapse: collapse; background: #fff; }
        th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
        .muted { color: var(--muted); }
        form.stack label, form.row label { display: flex; flex-direction: column; gap: .2rem; font-size: .9rem; }
        form.stack { display: grid; gap: .7rem; max-width: 480px; }
        form.row { display: flex; gap: .7rem; align-items: flex-end; flex-wrap: wrap; }
        form.inline { display: inline; margin: 0; }
        input, select { font: inherit; padding: .4rem .5rem; border: 1px solid #b8c0cc; border-radius: 5px; min-width: 12rem; }
        input[aria-invalid] { border-color: var(--err); }
        button { font: inherit; padding: .42rem .9rem; border-radius: 5px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
        button.secondary { background: #fff; color: var(--accent); }
        button.danger { background: #fff; color: var(--err); border-color: var(--err); }
        button.link { background: none; border: none; color: #dbe7ff; padding: 0; text-decoration: underline; }
        .field-error, .error { color: var(--err); font-size: .88rem; }
        .flash { background: #ecfdf3; border: 1px solid #abefc6; color: var(--ok); padding: .5rem .8rem; border-radius: 6px; }
        .secret { background: #fffaeb; border: 1px solid #fedf89; padding: .6rem .8rem; border-radius: 6px; }
        code, pre, .uuid { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
        .uuid { font-size: 1.05rem; background: #eef4ff; padding: .2rem .45rem; border-radius: 4px; }
        pre { background: #0f172a; color: #e2e8f0; padding: .8rem 1rem; border-radius: 6px; overflow-x: auto; font-size: .85rem; }
        .badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; border: 1px solid var(--line); }
        .badge.on { background: #ecfdf3; color: var(--ok); border-color: #abefc6; }
        .badge.off { background: #fef3f2; color: var(--err); border-color: #fecdca; }
        .login { max-width: 380px; margin: 8vh auto; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; }
        """

    static let javascript = """
        "use strict";
        document.addEventListener("DOMContentLoaded", () => {
          for (const button of document.querySelectorAll("[data-copy-target]")) {
            button.addEventListener("click", async () => {
              const text = document.getElementById(button.dataset.copyTarget).textContent.trim();
              try { await navigator.clipboard.writeText(text); }
              catch (e) {
                const area = document.createElement("textarea"); area.value = text; document.body.appendChild(area);
                area.select(); document.execCommand("copy"); area.remove();
              }
              const label = button.textContent; button.textContent = "Copied"; setTimeout(() => { button.textContent = label; }, 1500);
            });
          }
          for (const form of document.querySelectorAll("form[data-confirm]")) {
            form.addEventListener("submit", (event) => { if (!confirm(form.dataset.confirm)) event.preventDefault(); });
          }
          const live = document.querySelector("[data-live-url]");
          if (live) { refresh(live.dataset.liveUrl); setInterval(() => refresh(live.dataset.liveUrl), 3000); }
        });

        function fill(id, rows, columns, empty) {
          const body = document.querySelector("#" + id + " tbody");
          if (!body) return;
          body.replaceChildren();
          if (rows.length === 0) {
            const tr = body.insertRow(); const td = tr.insertCell(); td.colSpan = columns.length; td.className = "muted"; td.textContent = empty;
            return;
          }
          for (const row of rows) {
            const tr = body.insertRow();
            for (const column of columns) { tr.insertCell().textContent = column(row); }
          }
        }

        function duration(s) {
          const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
          const mmss = (h > 0 && m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
          return h > 0 ? h + ":" + mmss : mmss;
        }

        function fillCalls(calls) {
          const box = document.getElementById("live-calls-box");
          if (!box) return;
          fill("live-calls", calls, [c => c.id, c => c.from, c => c.to, c => c.state, c => duration(c.duration), c => ""], "No call in progress.");
          const rows = box.querySelectorAll("tbody tr");
          calls.forEach((c, i) => {
            const form = document.createElement("form"); form.className = "inline"; form.method = "post";
            form.action = box.dataset.hangupBase + encodeURIComponent(c.id) + "/hangup";
            const token = document.createElement("input"); token.type = "hidden"; token.name = "_csrf"; token.value = box.dataset.csrf;
            const button = document.createElement("button"); button.type = "submit"; button.className = "danger"; button.textContent = "Hang up";
            form.append(token, button); rows[i].lastElementChild.append(form);
          });
        }

        function when(iso) { return iso ? new Date(iso).toLocaleString() : ""; }

        async function refresh(url) {
          try {
            const response = await fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } });
            if (!response.ok) return;
            const data = await response.json();
            fill("registrations", data.registrations, [r => r.number, r => r.contact, r => r.source + " (" + r.transport + ")",
              r => r.userAgent || "", r => r.reachable === null || r.reachable === undefined ? "unknown" : (r.reachable ? "yes" : "no"),
              r => when(r.expiresAt)], "No phone is registered.");
            fill("ami-sessions", data.amiSessions, [s => s.username, s => s.address, s => when(s.since)], "No AMI session is connected.");
            fill("security-events", data.securityEvents, [e => when(e.time), e => e.service, e => e.kind, e => e.account, e => e.remoteAddress],
              "No security event yet.");
            const calls = document.getElementById("active-calls"); if (calls) calls.textContent = String(data.activeCalls);
            fillCalls(data.calls || []);
            const stamp = document.getElementById("live-updated"); if (stamp) stamp.textContent = "updated " + new Date().toLocaleTimeString();
          } catch (e) { /* keep the last data on a network error */ }
        }
        """
}
